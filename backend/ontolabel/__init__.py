"""ontolabel: unify the label spaces of semantic-segmentation datasets."""

__version__ = "0.1.0"
