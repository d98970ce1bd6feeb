"""The labeler as a library: models, TTA, the constraint, data, writing, metrics, training.

Job kinds (``ontolabel_worker.kinds``) and the CLI are thin entry points over these modules.
"""
