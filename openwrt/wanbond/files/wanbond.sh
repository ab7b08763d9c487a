#!/bin/sh
# The bundle and the tuntap2 addon sit side by side in /usr/lib/wanbond; the addon is found next to the bundle.
exec /usr/bin/node /usr/lib/wanbond/wanbond.js "$@"
