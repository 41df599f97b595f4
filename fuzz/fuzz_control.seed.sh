#!/usr/bin/env bash
# Seeds for fuzz_control: requests of every documented command (first byte
# 'r', even: the parser) and armvm ctl argument lists (first byte 'c', odd:
# NUL-separated words).
set -e
d=$1
i=0
req() { i=$((i + 1)); printf 'r%s' "$1" >"$d/req$i"; }
ctl() { i=$((i + 1)); { printf 'c'; printf '%s\0' "$@"; } | head -c -1 >"$d/ctl$i"; }
req '{"command":"status"}'
req '{"command":"help"}'
req '{"command":"pause"}'
req '{"command": "resume", "arguments": {}}'
req '{"command":"powerdown"}'
req '{"command":"device-add","arguments":{"type":"block","id":"d1","path":"/tmp/x.img","readonly":true}}'
req '{"command":"device-add","arguments":{"type":"net","id":"n1","backend":"user","hostfwd":["tcp::2222-:22"],"mac":"52:54:00:12:34:56"}}'
req '{"command":"device-del","arguments":{"id":"d1","timeout":5}}'
req '{"command":"device-list","arguments":{"a":[1,2.5,-3e2,null,false,"\u00e9\n"]}}'
req '{"command":"x\u0000"}'
req '["status"]'
ctl status
ctl device-add type=block id=d1 path=/x.img readonly=true
ctl device-add type=net id=n1 'hostfwd:=["tcp::2222-:22"]' n=5 f=1.5
ctl device-del id=d1 timeout=10 'id2:="7"'
