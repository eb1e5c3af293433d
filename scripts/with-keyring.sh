#!/bin/sh
# Runs a command inside a private D-Bus session with a fresh, unlocked gnome-keyring, so the
# real-keychain tests run headless (CI, containers) without touching the user's own keyring.
#
# usage: sh scripts/with-keyring.sh CMD [ARGS...]
# Inside, GATEHOUSE_TEST_KEYRING=1 tells the tests the keyring is there. Exits with CMD's status.
set -u

if [ "$#" -eq 0 ]; then
  echo "usage: sh scripts/with-keyring.sh CMD [ARGS...]" >&2
  exit 64
fi

missing=""
for tool in dbus-run-session dbus-send gnome-keyring-daemon; do
  command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
if [ -n "$missing" ]; then
  echo "with-keyring: OS keychain tests will be skipped: not found:$missing (CI installs dbus, gnome-keyring and libsecret-tools)" >&2
  exec "$@"
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-keyring.XXXXXX") || exit 1
# Cleaned up on every exit; INT/TERM are turned into exits so the EXIT trap runs for them too.
trap 'rm -rf "$scratch"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir -m 700 "$scratch/data" "$scratch/run"

# The keyring files go to a fresh XDG_DATA_HOME; the daemon's control socket goes to a private
# XDG_RUNTIME_DIR so it never collides with a keyring daemon of the user's desktop session.
XDG_DATA_HOME="$scratch/data" GATEHOUSE_KEYRING_RUN="$scratch/run" \
  dbus-run-session -- sh -c '
    printf "%s" "gatehouse-test" |
      XDG_RUNTIME_DIR="$GATEHOUSE_KEYRING_RUN" gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1
    unset GATEHOUSE_KEYRING_RUN
    # Bounded wait (about 5 s) for the daemon to own the Secret Service name on this bus.
    tries=0
    until dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q "boolean true"; do
      tries=$((tries + 1))
      if [ "$tries" -ge 50 ]; then
        echo "with-keyring: the secret service did not appear on the private D-Bus session within 5 s; running without it (keychain tests skip, or fail under CI)" >&2
        exec "$@"
      fi
      sleep 0.1
    done
    export GATEHOUSE_TEST_KEYRING=1
    exec "$@"
  ' with-keyring "$@"
status=$?
exit "$status"
