#!/usr/bin/env bash
# Installs the Debian packages fovea needs, when they are missing: `run` (ffmpeg for video, git for
# a fleet repo) or `test` (also what the tests start or call: mosquitto and GStreamer's RTSP server
# on loopback, openssl for test certificates, ssh-keygen for signed fleet commits, and ansible,
# ansible-lint, debootstrap and systemd-analyze for the provisioning test, promtool (Debian's
# prometheus) for the metrics format and alert rules, chromium for the dashboard's browser tests, and exiftool
# (libimage-exiftool-perl) to write and read the EXIF of test photos). Called by `npm run demo`
# and `npm test` (npm pre-scripts) and by .ci/run, so the Quick start works on a fresh Debian box
# with only Node.js and npm. Needs root or sudo to install; otherwise it names what to install and
# stops.
set -euo pipefail
case "${1:-run}" in
  run) PACKAGES=(ffmpeg git) ;;
  test) PACKAGES=(ffmpeg git mosquitto openssl openssh-client python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav ansible ansible-lint debootstrap systemd prometheus chromium libimage-exiftool-perl) ;;
  *) echo "usage: debian-deps.sh run|test" >&2; exit 2 ;;
esac
missing=()
# 'install ok installed' only: a removed package keeps its config files and still answers dpkg -s.
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "fovea: these Debian packages are needed: ${missing[*]} (no apt-get here: install their equivalents)" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "fovea: as root, run: apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi
echo "fovea: installing Debian packages: ${missing[*]}" >&2
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
