# The management plane through the launcher's commands (issue 18):
#   sh mgmt.sh users   VMs of two users at once: plumb ps, stat (exact
#                      counts), pause/resume of a spinning guest, another
#                      user refused, kill and the launcher's status 14
#   sh mgmt.sh events  plumb events: create -> triple fault -> destroy
#   sh mgmt.sh nomod   plumb ps without the module: one line, status 4
. ./lib.sh

G=/tests/guests
num() { sed -n "s/.*\"$1\": *\([0-9][0-9]*\).*/\1/p" "$2" | head -n 1; }
str() { sed -n "s/.*\"$1\": *\"\([^\"]*\)\".*/\1/p" "$2" | head -n 1; }
# The id of the VM of user $1 and comm $2 in `plumb ps --json` (keys in
# the documented order: id, pid, uid, user, comm).
vm_of() { plumb ps --json | awk -v u="\"$1\"" -v c="\"$2\"" '
	{ v = $2; sub(",$", "", v) }
	/"id":/ { id = v } /"user":/ { user = v }
	/"comm":/ { if (user == u && v == c) print id }' | head -n 1; }
exits_of() { plumb stat "$1" --json > /tmp/st.$$ && num exits /tmp/st.$$; }

case "$1" in
nomod)
	out=$(plumb ps 2>&1); rc=$?
	check "no module: status 4 (rc $rc)" test "$rc" -eq 4
	check "no module: one line: $out" test "$(echo "$out" | wc -l)" -eq 1
	check "no module: says so" sh -c "echo '$out' | grep -q 'not loaded'"
	done_ ;;
events)
	plumb events --json > /tmp/ev 2>&1 &
	ev=$!
	sleep 1
	plumb run --flat $G/triple-32.bin@0x1000 < /dev/null > /dev/null 2>&1; rc=$?
	check "the guest triple-faults: status 6 (rc $rc)" test "$rc" -eq 6
	for i in 1 2 3 4 5 6 7 8 9 10; do grep -q vm-destroyed /tmp/ev && break; sleep 1; done
	kill $ev; wait $ev 2>/dev/null
	sed 's/^/  | /' /tmp/ev
	order=$(sed -n 's/.*"event": *"\([a-z-]*\)".*/\1/p' /tmp/ev | grep -v owner-gone | tr '\n' ' ')
	check "events in order: $order" test "$order" = "vm-created vcpu-shutdown vm-destroyed "
	ids=$(sed -n 's/.*"vm_id": *\([0-9]*\).*/\1/p' /tmp/ev | sort -u | wc -l)
	check "all of one VM" test "$ids" -eq 1
	check "the shutdown names vCPU 0" grep -q '"vcpu-shutdown".*"vcpu_id": *0' /tmp/ev
	done_ ;;
users) ;;
*)	echo "usage: mgmt.sh users|events|nomod"; exit 2 ;;
esac

# A second user allowed to run VMs (group plumb), beside root.
grep -q '^vmuser:' /etc/passwd || echo 'vmuser:x:1000:1000:vmuser:/tmp:/bin/sh' >> /etc/passwd
sed -i 's/^plumb:x:990:.*/plumb:x:990:vmuser/' /etc/group
# sti; jmp $: exits for host interrupts only (with IF=0 Bochs' SVM host
# would never get its CPU back: vm_signal_if0).
printf '\373\353\376' > /tmp/spin.bin
chmod 644 /tmp/spin.bin

plumb ps > /tmp/ps0; rc=$?
check "plumb ps with no VM: status 0, the header only (rc $rc)" \
	sh -c "[ $rc -eq 0 ] && [ \$(wc -l < /tmp/ps0) -eq 1 ]"
plumb run --mem 4M --flat /tmp/spin.bin@0x1000 < /dev/null > /dev/null 2> /tmp/err.root &
root_run=$!
su -s /bin/sh vmuser -c "plumb run --mem 4M --flat /tmp/spin.bin@0x1000 < /dev/null > /dev/null 2> /tmp/err.user" &
user_run=$!
./t_mgmt hold > /tmp/hold 2>&1 &
hold=$!
for i in 1 2 3 4 5 6 7 8 9 10; do grep -q held /tmp/hold && break; sleep 1; done
sleep 1

plumb ps > /tmp/ps; rc=$?
sed 's/^/  | /' /tmp/ps
check "plumb ps: status 0 (rc $rc)" test "$rc" -eq 0
check "plumb ps: three VMs" test "$(($(wc -l < /tmp/ps) - 1))" -eq 3
check "plumb ps: vmuser's VM is vmuser's" grep -q " vmuser .*plumb" /tmp/ps
rid=$(vm_of root plumb)
uid_=$(vm_of vmuser plumb)
hid=$(vm_of root t_mgmt)
check "ids: root's $rid, vmuser's $uid_, t_mgmt's $hid" \
	sh -c "[ -n '$rid' ] && [ -n '$uid_' ] && [ -n '$hid' ]"

# Exact counts: 37 OUTs and 23 CPUIDs.
plumb stat "$hid" --json > /tmp/hst; rc=$?
check "plumb stat $hid: status 0 (rc $rc)" test "$rc" -eq 0
check "plumb stat: io $(num io /tmp/hst), want 37" test "$(num io /tmp/hst)" = 37
check "plumb stat: cpuid $(num cpuid /tmp/hst), want 23" test "$(num cpuid /tmp/hst)" = 23
check "plumb stat: records $(num records /tmp/hst), want 38" test "$(num records /tmp/hst)" = 38
check "plumb stat: the human table names the reasons" sh -c "plumb stat $hid | grep -q cpuid"
plumb top --delay 1 --iterations 2 > /tmp/top; rc=$?
sed 's/^/  | /' /tmp/top
check "plumb top, 2 refreshes through a pipe: status 0 (rc $rc)" test "$rc" -eq 0
check "  vmuser's spinning VM $uid_ exits for host interrupts" \
	grep -Eq "^ *$uid_ +plumb +running .*extint [1-9]" /tmp/top
plumb stat "$uid_" --watch 1 --json > /tmp/watch 2>&1 &
w=$!
sleep 3; kill -INT $w; wait $w; rc=$?
check "plumb stat --watch 1 --json: JSON lines until SIGINT, status 0 (rc $rc)" \
	sh -c "[ $rc -eq 0 ] && [ \$(grep -c '\"exit_reasons\"' /tmp/watch) -ge 2 ]"
kill $hold; wait $hold

# Another user may not steer root's VM.
su -s /bin/sh vmuser -c "plumb pause $rid" > /tmp/out 2>&1; rc=$?
check "vmuser's pause of root's VM: status 4 (rc $rc)" test "$rc" -eq 4
check "  says why: $(cat /tmp/out)" grep -q "another user" /tmp/out
su -s /bin/sh vmuser -c "plumb kill $rid" > /tmp/out 2>&1; rc=$?
check "vmuser's kill of root's VM: status 4 (rc $rc)" test "$rc" -eq 4
check "root's VM still runs" sh -c "plumb stat $rid --json | grep -q '\"state\": *\"running\"'"
su -s /bin/sh nobody -c "plumb ps" > /tmp/out 2>&1; rc=$?
check "nobody (no /dev/plumb) cannot list: status 4 (rc $rc)" test "$rc" -eq 4
check "  in one line: $(cat /tmp/out)" sh -c "[ \$(wc -l < /tmp/out) -eq 1 ] && grep -q 'no permission' /tmp/out"

# vmuser pauses its own spinning guest: its exits stop, then go on.
su -s /bin/sh vmuser -c "plumb pause $uid_"; rc=$?
check "vmuser pauses its VM (rc $rc)" test "$rc" -eq 0
check "  state paused" sh -c "plumb stat $uid_ --json | grep -q '\"state\": *\"paused\"'"
sleep 1
a=$(exits_of "$uid_"); sleep 2; b=$(exits_of "$uid_")
check "  paused: exits stay ($a, $b)" sh -c "[ -n '$a' ] && [ '$a' = '$b' ]"
su -s /bin/sh vmuser -c "plumb resume $uid_"; rc=$?
check "vmuser resumes it (rc $rc)" test "$rc" -eq 0
sleep 2; c=$(exits_of "$uid_")
check "  resumed: exits go on ($b -> $c)" sh -c "[ -n '$c' ] && [ '$c' -gt '$b' ]"

# Kill: each launcher ends with status 14 and says why.
plumb kill "$rid"; rc=$?
check "root kills its VM (rc $rc)" test "$rc" -eq 0
[ "$rc" -eq 0 ] || kill $root_run
wait $root_run; rc=$?
check "  its launcher ends with status 14 (rc $rc)" test "$rc" -eq 14
check "  and says why: $(cat /tmp/err.root)" grep -q "killed" /tmp/err.root
su -s /bin/sh vmuser -c "plumb kill $uid_"; rc=$?
check "vmuser kills its VM (rc $rc)" test "$rc" -eq 0
[ "$rc" -eq 0 ] || kill $user_run
wait $user_run
check "  its launcher says why: $(cat /tmp/err.user)" grep -q "killed" /tmp/err.user
sleep 1
check "no VM left" sh -c "[ \$(plumb ps | wc -l) -eq 1 ]"
plumb kill "$rid" > /tmp/out 2>&1; rc=$?
check "kill of a gone VM: status 4, 'no VM' (rc $rc)" sh -c "[ $rc -eq 4 ] && grep -q 'no VM' /tmp/out"
done_
