#!/usr/bin/env bash
# Seeds for fuzz_config_file: configuration files of every kind of option,
# and a few that are refused (duplicate, wrong type, unknown key).
set -e
d=$1
cat >"$d/seed-all.json" <<'JSON'
{
  "kernel": "Image", "initrd": "initrd.img", "cmdline": "console=ttyAMA0 quiet",
  "cpus": 2, "memory": "512M", "gic": "3", "arch": "aarch64",
  "no-reboot": true, "kvm": "/dev/kvm", "disk": ["a.img", "b.img,readonly,cache=writethrough"],
  "hotplug-slots": 2, "api-socket": "/tmp/s.sock",
  "net": ["user,hostfwd=tcp::2222-:22,host-loopback=on", "tap=tap0,mac=52:54:00:12:34:56"],
  "virtio-console": "pty", "no-rng": false, "no-balloon": true, "test-fault": ["no-rtc"],
  "seccomp": "log", "jail": "/tmp", "vsock": "cid=5,path=/tmp/v", "transport": "mmio",
  "verbose": true
}
JSON
printf '{"firmware": "fw.fd", "vars": "v.fd", "disk": "x.img", "user": "0:0"}\n' >"$d/seed-uefi.json"
printf '{"restore": "/srv/snap", "seccomp": "kill"}\n' >"$d/seed-restore.json"
printf '{"cpus": 2, "c\\u0070us": 3}\n' >"$d/seed-dup.json"
printf '{"no-rng": "yes", "cpus": [1]}\n' >"$d/seed-type.json"
printf '{"bogus": 1, "disk": [[]]}\n' >"$d/seed-unknown.json"
