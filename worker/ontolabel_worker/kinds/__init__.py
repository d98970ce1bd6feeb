"""The torch job kinds, one module each: thin entry points over ``ontolabel_worker.ml``.

Each module registers its kind when imported (``ontolabel.jobs.kinds.KIND_MODULES``
says which), so a worker imports only the kinds it runs; ``resolve`` turns a job's
references into what its chunks carry.
"""
