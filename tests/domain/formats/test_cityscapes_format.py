"""Cityscapes-style ``labels.py``: parsed (never run), read as its labels.csv would be."""

from __future__ import annotations

from pathlib import Path

import pytest
from ontolabel.domain.formats import FormatError
from ontolabel.domain.formats.cityscapes import read_labels_py, write_labels_py
from ontolabel.domain.formats.reference import read_labels_csv, write_labels_csv

from domain.factories import REFERENCE_DATASETS, require_reference

EXCERPT = '''#!/usr/bin/python
"""Cityscapes labels, as the benchmark scripts define them."""
from collections import namedtuple

Label = namedtuple( 'Label' , [
    'name'        , # The identifier of this label
    'id'          , # An integer ID that is associated with this label.
    'trainId'     ,
    'category'    ,
    'categoryId'  ,
    'hasInstances',
    'ignoreInEval',
    'color'       ,
    ] )

labels = [
    #       name             id  trainId  category   catId  hasInst  ignore   color
    Label(  'unlabeled'    ,  0 ,   255 , 'void'    , 0  , False , True  , (  0,  0,  0) ),
    Label(  'road'         ,  7 ,     0 , 'flat'    , 1  , False , False , (128, 64,128) ),
    Label(  'license plate', -1 ,    -1 , 'vehicle' , 7  , False , True  , (  0,  0,142) ),
]

name2label = { label.name: label for label in labels }
'''


def test_an_excerpt_reads_as_the_reference_labels_csv_rows() -> None:
    taxonomy = read_labels_py(EXCERPT, name="cityscapes")
    csv = "0,name,id,trainId,category,categoryId,hasInstances,ignoreInEval,color\n"
    csv += "0,unlabeled,0,255,void,0,False,True,#000000\n1,road,7,0,flat,1,False,False,#804080\n"
    csv += "2,license plate,-1,-1,vehicle,7,False,True,#00008e\n"
    assert taxonomy == read_labels_csv(csv, name="cityscapes")
    assert write_labels_csv(taxonomy) == csv


def test_the_reference_taxonomy_round_trips_through_labels_py() -> None:
    require_reference()
    path = REFERENCE_DATASETS / "cityscapes" / "lists" / "labels.csv"
    taxonomy = read_labels_csv(path.read_text(), name="cityscapes")
    text = write_labels_py(taxonomy)
    assert read_labels_py(text, name="cityscapes") == taxonomy
    assert write_labels_py(read_labels_py(text, name="cityscapes")) == text


def test_keywords_and_a_file_without_namedtuple_use_cityscapes_order() -> None:
    text = "labels = [Label('a', 1, None, None, None, None, False, None), "
    text += "Label(name='b', id=2, catId=3)]"
    taxonomy = read_labels_py(text, name="t")
    assert [(c.id, c.name, dict(c.file_cells).get("categoryId")) for c in taxonomy] == [
        (1, "a", None),
        (2, "b", "3"),
    ]


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("labels = [Label(__import__('os').system('echo hi'), 1)]", "name"),
        ("labels = [Label('a', 1, color=(1, 2))]", "color"),
        ("labels = [Label('a', '1')]", "id"),
        ("labels = [Label('a', 1), Label('b', 1)]", "id"),
        ("labels = [Label('a', 2**40)]", "id"),
        ("labels = [dict(name='a')]", None),
        ("x = 1", None),
        ("labels = [", None),
    ],
)
def test_what_is_not_a_literal_label_list_is_refused_without_running_it(
    text: str, field: str | None, tmp_path: Path
) -> None:
    with pytest.raises(FormatError) as caught:
        read_labels_py(text, name="t", source="labels.py")
    assert caught.value.file == "labels.py" and caught.value.field == field
