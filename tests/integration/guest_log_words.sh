# The harness reads a guest's console as the guest's, not the host's:
# lines that guest_log marks ("guest| ") are skipped by run-host.sh's
# kernel-log check. This prints a guest kernel's oops, WARNING and panic
# through guest_log; the host's kernel-log verdict must stay PASS
# (tests/harness/selftest.sh checks that it does).
. ./lib.sh

cat > /tmp/guest-words <<'END'
BUG: kernel NULL pointer dereference, address: 0000000000000000
Oops: 0002 [#1] PREEMPT SMP NOPTI
WARNING: CPU: 0 PID: 1 at kernel/fork.c:100 copy_process+0x1/0x2
general protection fault, probably for non-canonical address
watchdog: BUG: soft lockup - CPU#0 stuck for 22s!
rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:
refcount_t: underflow; use-after-free.
list_add corruption. prev->next should be next
Call Trace:
Kernel panic - not syncing: Attempted to kill init!
END
out=$(guest_log /tmp/guest-words)
echo "$out"
check "every line of the guest's console is marked guest|" \
	test "$(echo "$out" | grep -c '^guest| ')" -eq "$(wc -l < /tmp/guest-words)"
check "and kept as the guest wrote it" \
	test "$(echo "$out" | sed 's/^guest| //')" = "$(cat /tmp/guest-words)"
rm -f /tmp/guest-words
done_
