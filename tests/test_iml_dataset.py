"""The example store: journaled as recorded, so a crash loses nothing; FluCoMa pairs."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from nodes.iml import flucoma

from store_helpers import close_stores, opened  # noqa: F401 (close_stores: autouse)


def test_a_killed_process_loses_no_recorded_example(tmp_path):
    """A real crash: the recording process dies by SIGKILL right after recording."""
    script = textwrap.dedent(f"""
        import os, signal
        import numpy as np
        from nodes.iml.dataset import ExampleStore
        store = ExampleStore()
        store.open(__import__("pathlib").Path({str(tmp_path)!r}))
        for i in range(25):
            store.add(np.array([i, 0.5]), np.array([i, i, i]), store.new_round())
        store.delete_last_round()
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True)
    assert result.returncode == -9, result.stderr.decode()
    assert not (tmp_path / "inputs.json").exists()  # nothing was saved the normal way
    store = opened(tmp_path)
    ids, x, y = store.arrays()
    assert len(ids) == 24 and x[:, 0].tolist() == list(range(24)) and y[-1].tolist() == [23] * 3
    # opening compacted the journal into a FluCoMa DataSet pair
    assert (tmp_path / "journal.jsonl").read_bytes() == b""
    assert flucoma.read_pairs(tmp_path / "inputs.json", tmp_path / "outputs.json")[0] == ids


def test_a_torn_last_line_is_skipped_and_the_rest_kept(tmp_path):
    store = opened(tmp_path)
    for i in range(3):
        store.add(np.array([i]), np.array([-i]), store.new_round())
    store.close()
    with open(tmp_path / "journal.jsonl", "ab") as f:
        f.write(b'{"op": "add", "id": "r9-9", "x": [1.0')  # the crash hit mid-write
    ids, x, _ = opened(tmp_path).arrays()
    assert ids == ["r1-1", "r2-2", "r3-3"]


def test_a_broken_line_in_the_middle_is_skipped_with_a_warning_naming_the_line(tmp_path,
                                                                              caplog):
    """Half a line followed by more changes (a full disk, then space again) loses only
    that line: the examples before and after it are kept."""
    lines = [json.dumps({"op": "add", "id": f"r{i}-{i}", "x": [i], "y": [-i]}) for i in (1, 2)]
    (tmp_path / "journal.jsonl").write_text(
        f'{lines[0]}\n{{"op": "add", "id": "r9-9", "x": [1.0\n{{"op": "add", "x": 3}}\n'
        f'[1, 2]\n{lines[1]}\n')
    ids, x, _ = opened(tmp_path).arrays()
    assert ids == ["r1-1", "r2-2"]
    skipped = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    assert [m.split(": skipped")[0] for m in skipped] == \
        [f"{tmp_path / 'journal.jsonl'}:{n}" for n in (2, 3, 4)]


def test_rounds_delete_and_clear_replay_and_new_ids_continue(tmp_path):
    store = opened(tmp_path)
    one = store.new_round()
    store.add(np.array([0.0]), np.array([0.0]), one)
    pass_ = store.new_round()
    for i in range(4):
        store.add(np.array([float(i)]), np.array([1.0]), pass_)
    assert store.delete_last_round() == 4
    store.add(np.array([7.0]), np.array([7.0]), store.new_round())
    store.close()
    again = opened(tmp_path)
    assert again.arrays()[0] == ["r1-1", "r3-6"] and again.rounds == 2
    new_id = again.add(np.array([8.0]), np.array([8.0]), again.new_round())
    assert new_id == "r4-7"
    again.clear()
    again.close()
    assert len(opened(tmp_path)) == 0


def test_sizes_must_stay_the_same_until_cleared(tmp_path):
    store = opened(None)
    store.add(np.zeros(3), np.zeros(2), store.new_round())
    with pytest.raises(ValueError, match="x has 4 values but the recorded examples have 3"):
        store.add(np.zeros(4), np.zeros(2), store.new_round())
    store.clear()
    store.add(np.zeros(4), np.zeros(2), store.new_round())
    assert len(store) == 1 and store.folder is None


def test_hand_written_flucoma_pairs_load_in_input_order_with_their_ids(tmp_path):
    (tmp_path / "inputs.json").write_text(json.dumps(
        {"cols": 2, "data": {"slot-0": [0.1, 0.2], "smile": [0.9, 0.4]}}))
    (tmp_path / "outputs.json").write_text(json.dumps(
        {"cols": 1, "data": {"smile": [3], "slot-0": [-1]}}))
    store = opened(tmp_path)
    ids, x, y = store.arrays()
    assert ids == ["slot-0", "smile"] and y.ravel().tolist() == [-1, 3]
    assert store.rounds == 2  # ids from elsewhere: one round each
    store.delete_last_round()
    assert store.arrays()[0] == ["slot-0"]


def test_pairs_whose_ids_do_not_match_are_refused_with_the_ids(tmp_path):
    (tmp_path / "inputs.json").write_text(json.dumps({"cols": 1, "data": {"a": [0], "b": [1]}}))
    (tmp_path / "outputs.json").write_text(json.dumps({"cols": 1, "data": {"a": [0]}}))
    with pytest.raises(flucoma.FormatError, match="ids must match in both DataSets; "
                                                  "unpaired: 'b'"):
        opened(tmp_path)
    (tmp_path / "outputs.json").write_text(json.dumps({"cols": 2, "data": {"a": [0]}}))
    with pytest.raises(flucoma.FormatError, match="point 'a': expected 2 numbers, got 1"):
        opened(tmp_path)


def test_a_crash_between_the_two_snapshot_files_is_settled_by_the_journal(tmp_path):
    store = opened(tmp_path)
    store.add(np.array([1.0]), np.array([1.0]), store.new_round())
    store.save(tmp_path, live=True)                       # snapshot {r1-1}, journal empty
    store.add(np.array([2.0]), np.array([2.0]), store.new_round())
    store.close()
    # the next save wrote outputs.json with r2-2, then died before inputs.json
    (tmp_path / "outputs.json").write_text(json.dumps(
        {"cols": 1, "data": {"r1-1": [1.0], "r2-2": [2.0]}}))
    ids, x, _ = opened(tmp_path).arrays()
    assert ids == ["r1-1", "r2-2"] and x.ravel().tolist() == [1.0, 2.0]


def test_save_as_moves_the_journal_to_the_new_folder(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    store = opened(first)
    store.add(np.array([1.0]), np.array([1.0]), store.new_round())
    store.save(second, live=True)
    store.add(np.array([2.0]), np.array([2.0]), store.new_round())
    store.close()
    assert len(opened(second)) == 2 and len(opened(first)) == 1
