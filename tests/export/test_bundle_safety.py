"""Damaged, tampered and hostile bundles are refused with a BundleError, never another exception."""

from __future__ import annotations

import io
import json
import struct
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from workbench.export import BundleError, load_bundle
from workbench.export import bundle_format as fmt

_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def members(bundle_path):
    with zipfile.ZipFile(bundle_path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


@pytest.fixture(scope="module")
def good_bytes(bundle_path):
    return bundle_path.read_bytes()


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _refused(tmp_path, data: bytes, match: str | None = None) -> BundleError:
    path = tmp_path / "damaged.wbm"
    path.write_bytes(data)
    with pytest.raises(BundleError, match=match) as info:
        load_bundle(path)
    assert info.value.message and info.value.hint
    return info.value


def test_the_intact_bundle_opens(bundle_path):
    assert load_bundle(bundle_path).spec.name == "tiny-export"


@_SETTINGS
@given(cut=st.integers(min_value=0, max_value=10**9))
def test_truncated_bundle_is_refused(tmp_path, good_bytes, cut):
    _refused(tmp_path, good_bytes[: cut % len(good_bytes)])


@_SETTINGS
@given(flips=st.lists(st.tuples(st.integers(0, 10**9), st.integers(1, 255)), min_size=1, max_size=4))
def test_flipped_bytes_are_refused_or_harmless(tmp_path, good_bytes, flips):
    data = bytearray(good_bytes)
    for offset, mask in flips:
        data[offset % len(data)] ^= mask
    path = tmp_path / "flipped.wbm"
    path.write_bytes(bytes(data))
    try:
        bundle = load_bundle(path)
    except BundleError as exc:
        assert exc.message
    else:  # a flip in a field the reader ignores (a timestamp, say): the model must still be intact
        assert bundle.spec.name == "tiny-export"


@_SETTINGS
@given(drop=st.sets(st.sampled_from(sorted(fmt.MEMBER_LIMITS)), min_size=1))
def test_missing_members_are_refused(tmp_path, members, drop):
    err = _refused(tmp_path, _zip({k: v for k, v in members.items() if k not in drop}))
    assert "has no" in err.message


@pytest.mark.parametrize("name", ["../evil.txt", "/etc/passwd", "sub/../../x", "C:\\\\x", "..\\\\x", "a/b.json"])
def test_path_traversal_names_are_refused(tmp_path, members, name):
    _refused(tmp_path, _zip({**members, name: b"x"}), match="unsafe member name")


def test_zip_bomb_member_is_refused_before_inflating(tmp_path, members):
    bomb = b"\0" * (fmt.MEMBER_LIMITS[fmt.METADATA] + 1)
    _refused(tmp_path, _zip({**members, fmt.METADATA: bomb}), match="larger than")


def _patch_sizes(data: bytearray, name: bytes, size: int) -> None:
    """Make the local and central headers of member ``name`` claim ``size`` uncompressed bytes."""
    for signature, name_at, size_at in ((b"PK\x03\x04", 30, 22), (b"PK\x01\x02", 46, 24)):
        start = data.find(signature)
        while start >= 0:
            if data[start + name_at : start + name_at + len(name)] == name:
                data[start + size_at : start + size_at + 4] = struct.pack("<I", size)
            start = data.find(signature, start + 1)


def test_member_lying_about_its_size_is_refused(tmp_path, members):
    data = bytearray(_zip({**members, fmt.MODEL: b" " * (fmt.MEMBER_LIMITS[fmt.MODEL] * 4)}))
    _patch_sizes(data, fmt.MODEL.encode(), 100)
    assert zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo(fmt.MODEL).file_size == 100
    _refused(tmp_path, bytes(data))


def test_too_many_members_are_refused(tmp_path, members):
    extra = {f"extra{i}.txt": b"" for i in range(fmt.MAX_MEMBERS)}
    _refused(tmp_path, _zip({**members, **extra}), match="members")


def test_bad_yaml_is_refused(tmp_path, members):
    _refused(tmp_path, _zip({**members, fmt.SPEC: b"layers: [unclosed"}), match="spec")


def test_spec_with_errors_is_refused(tmp_path, members):
    spec = members[fmt.SPEC].decode().replace("filters: 8", "filters: 0")
    _refused(tmp_path, _zip({**members, fmt.SPEC: spec.encode()}), match="spec")


def test_wrong_weight_shapes_are_refused(tmp_path, members):
    state = st_load(members[fmt.WEIGHTS])
    state["conv2.weight"] = state["conv2.weight"].reshape(4, 8, 3, 3).contiguous()  # same size, wrong shape
    _refused(tmp_path, _zip({**members, fmt.WEIGHTS: st_save(state)}), match="conv2.weight")


def test_missing_weight_is_refused(tmp_path, members):
    state = st_load(members[fmt.WEIGHTS])
    del state["logits.bias"]
    _refused(tmp_path, _zip({**members, fmt.WEIGHTS: st_save(state)}))


def test_pickle_instead_of_safetensors_is_refused(tmp_path, members):
    import pickle

    _refused(tmp_path, _zip({**members, fmt.WEIGHTS: pickle.dumps({"x": 1})}), match="weights are unreadable")


@pytest.mark.parametrize(
    "change, match",
    [
        ({"class_names": ["a", "b"]}, "class names"),
        ({"input": {"channels": 1, "height": 16, "width": 16}}, "input size"),
        ({"resize": "zoom"}, "resize"),
        ({"normalization": {"mean": [0, 0, 0], "std": [1, 0, 1]}}, "std"),
        ({"normalization": {"mean": [0, "x", 0], "std": [1, 1, 1]}}, "mean"),
    ],
)
def test_inconsistent_model_info_is_refused(tmp_path, members, change, match):
    info = {**json.loads(members[fmt.MODEL]), **change}
    _refused(tmp_path, _zip({**members, fmt.MODEL: json.dumps(info).encode()}), match=match)


def test_newer_format_and_foreign_zip_are_refused(tmp_path, members):
    meta = {**json.loads(members[fmt.METADATA]), "format_version": 99}
    _refused(tmp_path, _zip({**members, fmt.METADATA: json.dumps(meta).encode()}), match="newer")
    meta["format"] = "something-else"
    _refused(tmp_path, _zip({**members, fmt.METADATA: json.dumps(meta).encode()}), match="not a workbench bundle")


def test_not_a_zip_missing_file_and_folder_are_refused(tmp_path):
    _refused(tmp_path, b"hello, not a zip", match="not a workbench bundle")
    with pytest.raises(BundleError, match="does not exist"):
        load_bundle(tmp_path / "nothing.wbm")
    with pytest.raises(BundleError, match="folder"):
        load_bundle(tmp_path)
