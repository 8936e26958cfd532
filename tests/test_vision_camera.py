"""The camera node: test face, video files, devices (missing, and a real capture
thread fed by a video file where no webcam exists)."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from nodes.camera import Camera, source_kind
from nodes.vision.sources import DeviceSource

from engine_helpers import engine_from

CAMERA_TO_SINK = """\
format: nodegraph/1
nodes:
  cam: {{type: camera, params: {params}}}
  sink: {{type: t-sink}}
links:
  - cam.frame -> sink.in
"""


def camera_engine(params: str, virtual: bool = True):
    engine = engine_from(CAMERA_TO_SINK.format(params=params), virtual=virtual)
    return engine, engine.runtime["cam"], engine.runtime["sink"].node


def write_video(path: Path, count: int, fps: float = 25.0, size=(160, 120)) -> None:
    """Frame i is a flat grey of level 10 * i, so each frame can be recognised."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
    assert writer.isOpened()
    for i in range(count):
        writer.write(np.full((size[1], size[0], 3), 10 * i, np.uint8))
    writer.release()


def levels(frames) -> list[int]:
    return [int(round(float(f.mean()) / 10.0)) for f in frames]


def test_source_kinds():
    assert source_kind("test-face") == "test-face"
    assert source_kind("0") == source_kind("/dev/video2") == source_kind("device:cam") == "device"
    assert source_kind("clips/take1.mp4") == "file"
    assert Camera("c", {"source": 0}).source == "0"  # YAML reads `source: 0` as a number
    assert Camera("c", {"source": 1}).paced_by_wall_clock()
    assert not Camera("c", {"source": "test-face"}).paced_by_wall_clock()
    assert Camera.realtime_only == "when source is a device (a webcam)"


def test_test_face_frames_are_paced_by_the_clock_and_repeat_exactly():
    engine, cam, sink = camera_engine("{width: 320, height: 240}")
    engine.run_offline(1.0)
    times = [t for _, t in sink.got]
    assert times == pytest.approx([n / 30.0 for n in range(31)])
    assert sink.got[0][0].shape == (240, 320, 3) and sink.got[0][0].dtype == np.uint8
    figures = engine.report()["vision"]["nodes"]["cam"]
    assert figures["frames"] == 31 and figures["dropped"] == 0
    assert figures["fps"] == pytest.approx(30.0)
    engine.close()
    again, _, sink2 = camera_engine("{width: 320, height: 240}")
    again.run_offline(1.0)
    assert all(np.array_equal(a, b) for (a, _), (b, _) in zip(sink.got, sink2.got))
    again.close()


def test_test_face_holds_a_given_pose():
    from nodegraph.edits import SetParam
    from nodegraph.errors import PatchError
    from nodes.vision.testface import FaceRenderer, Pose

    engine, cam, sink = camera_engine("{width: 160, height: 120, pose: 'yaw=20, mouth=0.8'}")
    engine.run_offline(0.2)
    held = FaceRenderer(160, 120).render(Pose(yaw=20.0, mouth=0.8))
    assert len(sink.got) == 7 and all(np.array_equal(f, held) for f, _ in sink.got)
    engine.do(SetParam("cam", "pose", "roll=-10"))  # a live change: the next frame shows it
    engine.run_offline(0.1)
    assert np.array_equal(sink.got[-1][0], FaceRenderer(160, 120).render(Pose(roll=-10.0)))
    engine.close()
    with pytest.raises(PatchError, match="pose: 'tilt=3': write name=number, comma-separated, "
                                         "with names from yaw, pitch, roll, mouth, zoom, x, y"):
        camera_engine("{pose: 'tilt=3'}")


def test_a_late_graph_skips_frames_instead_of_queueing_them():
    engine, cam, sink = camera_engine("{width: 160, height: 120, fps: 10}")
    engine.scheduler.run_pending()  # frame 0 at t = 0
    engine.clock.advance_to(1.0)  # then the control thread was busy for a second
    engine.scheduler.run_pending()
    assert [t for _, t in sink.got] == [0.0, pytest.approx(1.0)]  # frames 1–9 skipped
    assert cam.node.report()["dropped"] == 9


def test_video_file_delivers_every_frame_with_its_timestamp(tmp_path):
    video = tmp_path / "clip.avi"
    write_video(video, 12, fps=25.0)
    engine, cam, sink = camera_engine(f"{{source: {video}, on_end: loop}}")
    engine.run_offline(20 / 25.0)
    assert levels(f for f, _ in sink.got) == list(range(12)) + list(range(9))  # then loops
    assert [t for _, t in sink.got] == pytest.approx([n / 25.0 for n in range(21)])
    assert sink.got[0][0].shape == (120, 160, 3)


def test_video_file_can_end_the_run(tmp_path):
    video = tmp_path / "clip.avi"
    write_video(video, 12, fps=25.0)
    engine, cam, sink = camera_engine(f"{{source: {video}, on_end: end}}")
    ran = engine.run_offline(60.0)
    assert levels(f for f, _ in sink.got) == list(range(12))
    assert ran < 1.0
    report = engine.report()
    assert report["ended_by"] == "cam: video file clip.avi finished"
    assert report["vision"]["nodes"]["cam"]["ended"] is True


def test_missing_or_unreadable_file_fails_the_node_with_a_clear_message(tmp_path):
    engine, cam, _ = camera_engine(f"{{source: {tmp_path / 'nope.mp4'}}}")
    assert cam.status == "failed"
    assert f"no video file {tmp_path / 'nope.mp4'}" in cam.last_error
    engine.close()
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video at all" * 100)
    engine, cam, _ = camera_engine(f"{{source: {junk}}}")
    assert cam.status == "failed" and "OpenCV cannot read" in cam.last_error


def test_a_missing_device_gives_the_clear_error():
    engine, cam, _ = camera_engine("{source: /dev/video-none, retry_s: 0}")
    assert cam.status == "failed"
    assert cam.last_error == (
        "OSError: camera device '/dev/video-none' could not be opened: is it plugged in and not "
        "used by another program? (/dev/video-none must exist and be readable; "
        "source: test-face needs no camera)")


def test_a_missing_device_is_retried_while_the_graph_runs_on():
    engine = engine_from("""\
format: nodegraph/1
nodes:
  cam: {type: camera, params: {source: /dev/video-none, retry_s: 0.05}}
  tick: {type: metro, params: {interval_ms: 10}}
  sink: {type: t-sink}
links:
  - tick.bang -> sink.in
""", virtual=False)
    cam, sink = engine.runtime["cam"], engine.runtime["sink"].node
    engine.start()
    deadline = time.monotonic() + 10.0
    while (cam.errors < 3 or len(sink.got) < 5) and time.monotonic() < deadline:
        time.sleep(0.02)
    engine.close()
    assert cam.status == "error" and cam.errors >= 3
    assert "retrying every 0.05 s" in cam.last_error
    assert len(sink.got) >= 5  # the metro kept ticking meanwhile


class FileBackedDevice(DeviceSource):
    """The real device source and capture thread; only the capture it opens is a
    video file, since this machine has no webcam."""

    video: Path

    def open_capture(self):
        capture = cv2.VideoCapture(str(self.video))
        return capture if capture.isOpened() else None


def test_device_capture_thread_posts_frames_and_reconnects(tmp_path, monkeypatch):
    FileBackedDevice.video = tmp_path / "clip.avi"
    write_video(FileBackedDevice.video, 5)
    monkeypatch.setattr("nodes.camera.DeviceSource", FileBackedDevice)
    engine, cam, sink = camera_engine("{source: 0, retry_s: 0.05}", virtual=False)
    engine.start()
    deadline = time.monotonic() + 20.0
    while (cam.node.report()["frames"] < 10 or cam.errors < 1) and time.monotonic() < deadline:
        time.sleep(0.02)
    engine.close()
    # The file "unplugs" after 5 frames; the thread reports it and opens it again.
    assert cam.node.report()["frames"] >= 10
    assert "stopped delivering frames (unplugged?); retrying every 0.05 s" in cam.last_error
    # Frames carry increasing capture times; any not taken in time were dropped.
    times = [t for _, t in sink.got]
    assert times == sorted(times) and len(times) >= 1
    assert len(sink.got) + cam.node.report()["dropped"] <= cam.node.report()["frames"]
