"""MSeg's TSVs: the master (universal taxonomy + a column per dataset) and pairwise files."""

from __future__ import annotations

import pytest
from ontolabel.domain.formats import FormatError
from ontolabel.domain.formats.mseg import (
    looks_like_master,
    read_mseg_master,
    read_mseg_pairwise,
    write_mseg_master,
    write_mseg_pairwise,
)
from ontolabel.domain.mapping import VOID_ID
from ontolabel.errors import InvalidInput

from domain.factories import make_mapping

# In MSeg's layout (values made up): descriptions around the dataset columns, sets in
# braces with irregular spaces, a blank parent category, the unlabeled row last.
MASTER = (
    "Parent Category\tcity-4\tcity-4-relabeled\tuniversal\tWordNet 3.1 Synset\tDefn\n"
    "flat\troad\troad\troad\troad.n.01\ta way for vehicles\n"
    "vehicle\t{car,  van}\tcar\tcar\tcar.n.01\t\n"
    "\t\tbus\tbus\t\ta large vehicle\n"
    "unlabeled\t{sky}\t\tunlabeled\t\t\n"
)
PAIRWISE = (
    "city-5\tcity-3\nunlabeled\tunlabeled\nroad\troad\nparking\tunlabeled\ncar\tcar\nvan\tcar\n"
)


def test_master_reads_the_universal_taxonomy_and_a_mapping_per_dataset_column() -> None:
    assert looks_like_master(MASTER) and not looks_like_master(PAIRWISE)
    master = read_mseg_master(MASTER, name="universal")
    universal = master.universal
    assert [(c.id, c.name, c.category) for c in universal] == [
        (0, "road", "flat"),
        (1, "car", "vehicle"),
        (2, "bus", None),
    ]
    assert dict(universal.classes[0].file_cells) == {
        "WordNet 3.1 Synset": "road.n.01",
        "Defn": "a way for vehicles",
    }
    assert sorted(master.mappings) == ["city-4", "city-4-relabeled"]
    city = master.mappings["city-4"]
    assert (city.extra_taxonomy, city.source_taxonomy) == ("city-4", "universal")
    assert [(r.source_id, r.extra_labels) for r in city.rows] == [
        (0, ("road",)),
        (1, ("car", "van")),
        (2, ()),
        (VOID_ID, ("sky",)),
    ]


def test_master_round_trips() -> None:
    master = read_mseg_master(MASTER)
    text = write_mseg_master(master.universal, list(master.mappings.values()))
    assert read_mseg_master(text) == master
    assert write_mseg_master(master.universal, list(master.mappings.values())) == text
    assert text.splitlines()[2] == "vehicle\t{car, van}\tcar\tcar\tcar.n.01\t"


def test_pairwise_round_trips_in_line_order() -> None:
    pairwise = read_mseg_pairwise(PAIRWISE)
    mapping = pairwise.mapping
    assert (mapping.extra_taxonomy, mapping.source_taxonomy) == ("city-5", "city-3")
    assert [(r.source_id, r.source_name, r.extra_labels) for r in mapping.rows] == [
        (0, "road", ("road",)),
        (1, "car", ("car", "van")),
        (VOID_ID, "void", ("unlabeled", "parking")),
    ]
    assert pairwise.extra.names == ["unlabeled", "road", "parking", "car", "van"]
    assert write_mseg_pairwise(mapping, pairwise.extra.names) == PAIRWISE


def test_pairwise_export_refuses_a_label_with_two_classes_and_keeps_void_hints() -> None:
    hinted = make_mapping(
        {"building": ["building"]}, void=["building", "sky"], extra="e", source="s"
    )
    assert write_mseg_pairwise(hinted) == "e\ts\nbuilding\tbuilding\nsky\tunlabeled\n"
    two = make_mapping({"road": ["lane"], "parking": ["lane"]}, extra="e", source="s")
    with pytest.raises(InvalidInput, match="'lane' may become 'road', 'parking'"):
        write_mseg_pairwise(two)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("a\tb\tc\nx\ty\tz\n", 1),  # no universal column, not two columns
        ("universal\tc-1\nroad\t{road\n", 2),
        ("universal\tc-1\nroad\troad\nroad\troad\n", 3),
        ("universal\tc-1\n\troad\n", 2),
    ],
)
def test_bad_master_files_name_the_line(text: str, line: int) -> None:
    with pytest.raises(FormatError) as caught:
        read_mseg_master(text, source="m.tsv")
    assert (caught.value.file, caught.value.line) == ("m.tsv", line)


def test_bad_pairwise_lines_are_refused() -> None:
    with pytest.raises(FormatError) as caught:
        read_mseg_pairwise("a\tb\nroad\n", source="p.tsv")
    assert caught.value.line == 2
