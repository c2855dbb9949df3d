import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "domain"))


@pytest.fixture
def catalog(app, org):
    from factories import make_catalog

    return make_catalog(app, org)
