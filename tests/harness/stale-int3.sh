#!/bin/sh
# stale-int3.sh FILE...
# Finds QEMU's stale int3 (decision 140) in kernel logs: an "Oops: int3"
# whose code dump shows no int3 (0xcc) before the trapping RIP. The dump
# reads the instruction bytes from memory after the trap; an int3 that
# trapped at RIP - 1 but is no longer in memory was run from a stale copy
# of code that text_poke_bp() had already finished patching, which no
# CPU does after the patcher's serializing IPIs: QEMU's multi-threaded
# TCG keeps translated code that a store by another CPU made stale. Seen
# with no plumb loaded (the host's own boot) and in Debian guests.
#
# Prints each such oops line with its code line; exit 0 when one is found.
# Lines may carry the harness's "guest| " prefix.
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
					if (w[i - 1] != "cc" && w[i - 1] ~ /^[0-9a-f][0-9a-f]$/) {
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
