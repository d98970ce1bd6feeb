"""Live preview: re-apply a mapping revision or an unsaved draft to cached teacher probabilities.

numpy only; the worker's ``preview`` job fills the cache this reads.
"""
