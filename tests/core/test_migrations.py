"""Older schema versions migrate through ordered steps; newer ones are refused clearly."""

import pytest

from workbench.spec import SCHEMA_VERSION, SpecError, dumps_spec, loads_spec
from workbench.spec.migrations import MIGRATIONS, migrate

V0 = """name: draft
input: [1, 28, 28]
classes: 2
layers:
  - {name: c, kind: conv, filters: 4, kernel: 28}
"""


def test_version_0_file_migrates_to_current():
    spec = loads_spec(V0)
    assert spec.schema_version == SCHEMA_VERSION
    assert (spec.input.channels, spec.input.height) == (1, 28)
    assert spec.layers[0].type == "conv"
    assert f"schema_version: {SCHEMA_VERSION}" in dumps_spec(spec)


def test_every_version_below_current_has_a_step():
    assert sorted(MIGRATIONS) == list(range(SCHEMA_VERSION))


def test_migrate_leaves_current_files_alone():
    data = {"schema_version": SCHEMA_VERSION, "input": {"channels": 1, "height": 2, "width": 2}}
    assert migrate(dict(data)) == data


@pytest.mark.parametrize("version", [SCHEMA_VERSION + 1, -1, "one"])
def test_bad_versions_refused(version):
    with pytest.raises(SpecError) as info:
        loads_spec(f"schema_version: {version}\nlayers: []\n", "f.yaml")
    (p,) = info.value.problems
    assert p.line == 1 and "schema_version" in p.message
