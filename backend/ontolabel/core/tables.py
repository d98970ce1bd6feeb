"""Every table module, imported so ``metadata`` is complete (migrations, tests)."""

from ontolabel.accounts import tables as _accounts  # noqa: F401
from ontolabel.core import audit as _audit  # noqa: F401
from ontolabel.core.db import Base
from ontolabel.datasets import tables as _datasets  # noqa: F401
from ontolabel.frames import tables as _frames  # noqa: F401
from ontolabel.jobs import tables as _jobs  # noqa: F401
from ontolabel.mappings import tables as _mappings  # noqa: F401
from ontolabel.models import tables as _models  # noqa: F401
from ontolabel.taxonomies import tables as _taxonomies  # noqa: F401
from ontolabel.verifications import tables as _verifications  # noqa: F401

metadata = Base.metadata
