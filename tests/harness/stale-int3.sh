#!/bin/sh
# stale-int3.sh FILE...
# stale-int3.sh --only BAD_REGEX FILE
# Finds QEMU's stale int3 (decision 140) in kernel logs: an "Oops: int3"
# that trapped in the middle of an instruction text patching had already
# finished. The dump reads the instruction bytes from memory after the
# trap; with RIP just past the first byte of a patched site (the pair of
# bytes before and at RIP: 66 90 or 0f 1f, a 2- or 5-byte NOP; eb, e9 or
# e8, a jump or call) and no int3 (0xcc) left there, the CPU ran an int3
# from a stale copy of that code, which no CPU does after
# text_poke_bp()'s serializing IPIs: QEMU's multi-threaded TCG keeps
# translated code that a store by another CPU made stale. Seen with no
# plumb loaded (the host's own boot) and in Debian guests. An int3 at
# RIP itself (a handler that saw RIP on the int3: plumb's own bug of
# decision 143) or still in memory is not that.
#
# Prints each such oops line with its code line; exit 0 when one is found.
# Lines may carry the harness's "guest| " prefix.
#
# --only: exit 0 when every line of FILE that matches BAD_REGEX (the
# harness's kernel-log patterns) belongs to an "Oops: int3" report (from
# its Oops line to its end-of-trace line, and the panic lines right after
# it), so that nothing else went wrong in that log.
if [ "${1:-}" = --only ]; then
	[ -f "$3" ] || exit 0
	tr -d '\r' < "$3" | awk -v bad="$2" '
		/Oops: int3: / { inblock = 1; next }
		/Oops: / { inblock = 0 }
		inblock && /Kernel panic - not syncing: Fatal exception/ { inblock = 0; after = 1; next }
		inblock && /---\[ end trace/ { inblock = 0; after = 1; next }
		inblock { next }
		after && /Kernel panic - not syncing: Fatal exception|Shutting down cpus with NMI|Kernel Offset:|---\[ end Kernel panic/ { next }
		{ after = 0 }
		$0 ~ bad { other = 1 }
		END { exit other }'
	exit $?
fi
found=1
for f in "$@"; do
	[ -e "$f" ] || continue
	if tr -d '\r' < "$f" | awk '
		{ sub(/^guest\| /, "") }
		/Oops: int3: / { oops = $0; left = 12; next }
		left > 0 && /Code: / {
			left = 0
			n = split($0, w, " ")
			for (i = 2; i <= n; i++)
				if (w[i] ~ /^<[0-9a-f][0-9a-f]>$/) {
					at = substr(w[i], 2, 2)
					pair = w[i - 1] " " at
					if (at != "cc" && (pair == "66 90" || pair == "0f 1f" ||
					    w[i - 1] == "eb" || w[i - 1] == "e9" || w[i - 1] == "e8")) {
						print oops; print $0; hit = 1
					}
					break
				}
			next
		}
		left > 0 { left-- }
		END { exit !hit }'; then
		found=0
	fi
done
exit $found
