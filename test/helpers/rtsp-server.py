#!/usr/bin/python3
"""A real RTSP server for tests and benchmarks (GStreamer's gst-rtsp-server), on loopback.

(The shared material's tools/rtsp-server.py, kept here so the tests run on a clone without it.)

Serves rtsp://127.0.0.1:PORT/stream as H.264 over RTP, either from an MP4 file (played once) or a live
test pattern encoded on the fly (endless), optionally behind Basic or Digest authentication.

Needs Debian's packages: python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-good
gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav. Run it with /usr/bin/python3
(the Debian interpreter that has the gi bindings), e.g.

  /usr/bin/python3 rtsp-server.py --port 8554 --auth digest --user admin --password secret --file clip.mp4
  /usr/bin/python3 rtsp-server.py --port 8554 --pattern --size 1920x1080 --fps 60

It prints 'ready' on stdout once it listens. Stop it with SIGTERM.
"""
import argparse
import signal
import sys

import gi

gi.require_version('Gst', '1.0')
gi.require_version('GstRtsp', '1.0')
gi.require_version('GstRtspServer', '1.0')
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser()
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument('--file', help='MP4 file with an H.264 video track')
    src.add_argument('--pattern', action='store_true', help='endless live test pattern')
    p.add_argument('--port', default='8554')
    p.add_argument('--path', default='/stream')
    p.add_argument('--auth', choices=['none', 'basic', 'digest'], default='none')
    p.add_argument('--user', default='admin')
    p.add_argument('--password', default='secret')
    p.add_argument('--size', default='1280x720')
    p.add_argument('--fps', default='30')
    a = p.parse_args()

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_service(str(a.port))
    factory = GstRtspServer.RTSPMediaFactory()
    if a.file:
        launch = f'( filesrc location="{a.file}" ! qtdemux ! h264parse config-interval=-1 ! rtph264pay name=pay0 pt=96 )'
    else:
        w, h = a.size.split('x')
        launch = (f'( videotestsrc is-live=true pattern=ball ! video/x-raw,width={w},height={h},framerate={a.fps}/1 '
                  f'! x264enc tune=zerolatency speed-preset=ultrafast key-int-max={a.fps} '
                  f'! h264parse config-interval=-1 ! rtph264pay name=pay0 pt=96 )')
    factory.set_launch(launch)
    factory.set_shared(True)

    if a.auth != 'none':
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, 'user')
        if a.auth == 'digest':
            auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
            auth.add_digest(a.user, a.password, token)
        else:
            auth.add_basic(GstRtspServer.RTSPAuth.make_basic(a.user, a.password), token)
        server.set_auth(auth)
        perms = GstRtspServer.RTSPPermissions()
        perms.add_role_from_structure(Gst.Structure.new_from_string(
            'user, media.factory.access=(boolean)true, media.factory.construct=(boolean)true'))
        factory.set_permissions(perms)

    server.get_mount_points().add_factory(a.path, factory)
    if server.attach(None) == 0:
        print(f'cannot listen on port {a.port}', file=sys.stderr)
        sys.exit(1)
    loop = GLib.MainLoop()
    signal.signal(signal.SIGTERM, lambda *_: loop.quit())
    print('ready', flush=True)
    loop.run()


if __name__ == '__main__':
    main()
