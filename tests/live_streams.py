"""Real live-ish sources for the live-video tests, built from real frames of a shared sequence:
an mp4 written with OpenCV, and an MJPEG-over-HTTP server (multipart/x-mixed-replace, as IP
cameras serve it) running in a thread of the test process."""
from __future__ import annotations

import http.server
import socketserver
import threading
import time
from pathlib import Path

import cv2


def sequence_frames(sequence: Path, count: int) -> list[Path]:
    return sorted((sequence / "img").glob("*.jpg"))[:count]


def write_video(path: Path, frame_paths: list[Path], fps: float) -> Path:
    first = cv2.imread(str(frame_paths[0]))
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (first.shape[1], first.shape[0]))
    assert writer.isOpened(), f"OpenCV cannot write {path}"
    for frame_path in frame_paths:
        writer.write(cv2.imread(str(frame_path)))
    writer.release()
    return path


class MJPEGServer:
    """Serves the given JPEG files once, at `fps`, to each client of /stream.mjpg."""

    def __init__(self, jpeg_paths: list[Path], fps: float = 30.0) -> None:
        self.jpegs = [p.read_bytes() for p in jpeg_paths]
        self.fps = fps
        self.sent: list[int] = []  # frames written to each client, when it finished
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                if self.path != "/stream.mjpg":
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                sent = 0
                try:
                    for jpeg in server.jpegs:
                        self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n"
                                         % len(jpeg))
                        self.wfile.write(jpeg + b"\r\n")
                        sent += 1
                        time.sleep(1.0 / server.fps)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                server.sent.append(sent)

        self._httpd = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/stream.mjpg"

    def __enter__(self) -> "MJPEGServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
