# soak_serial.sh VMS SECS: VMS launchers at once, each `plumb run --cpus 2`
# of tests/guests/soakser.S for SECS seconds of the guest's RTC: both
# vCPUs write numbered lines to COM1, two exits per byte. Every VM must
# end by itself with status 85 and its output must be byte for byte what
# the guest wrote (t_soak sercheck). The host's kernel log (no lockup, no
# stall) is the runner's and run-host.sh's check.
. ./lib.sh
. ./soaklib.sh

vms=$1
secs=$2
slack=$((300 * ${PLUMB_SLOW:-1}))
B=/tmp/soakser.bin
cp /tests/guests/soakser-64.bin $B
# The run time: a little-endian dword at file offset 0x1500.
printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $((secs & 255)) $(((secs >> 8) & 255)) \
	$(((secs >> 16) & 255)) $(((secs >> 24) & 255)))" |
	dd of=$B bs=1 seek=$((0x1500)) conv=notrunc 2>/dev/null
check "the guest's run time patched to $secs s" \
	test "$(od -A n -t u4 -j $((0x1500)) -N 4 $B | tr -d ' ')" = "$secs"
echo "$vms VMs x 2 vCPUs for $secs s (limit $((secs + slack)) s); counters: $(counters)"
t0=$(cut -d. -f1 /proc/uptime)
i=1
while [ $i -le "$vms" ]; do
	( limited $((secs + slack)) plumb run --cpus 2 --mem 16M --flat $B@0x1000,64 \
		< /dev/null > /tmp/ser.$i.out 2> /tmp/ser.$i.err
	  echo $? > /tmp/ser.$i.rc ) &
	i=$((i + 1))
done
sleep 5
echo "after 5 s: $(counters); load $(cat /proc/loadavg)"
wait
t1=$(cut -d. -f1 /proc/uptime)
total=0
i=1
while [ $i -le "$vms" ]; do
	rc=$(cat /tmp/ser.$i.rc)
	check "VM $i ended by itself with status 85 (rc $rc)" test "$rc" = 85
	[ "$rc" = 85 ] || tail -n 20 /tmp/ser.$i.err
	if ./t_soak sercheck /tmp/ser.$i.out; then
		ok "VM $i: every serial byte as written"
	else
		fail "VM $i: serial output differs from what the guest wrote"
		tail -c 200 /tmp/ser.$i.out | od -c | tail -n 8
	fi
	total=$((total + $(wc -c < /tmp/ser.$i.out)))
	i=$((i + 1))
done
el=$((t1 - t0))
[ $el -gt 0 ] || el=1
echo "SOAK-SERIAL vms=$vms vcpus=2 secs=$secs elapsed=${el}s bytes=$total rate=$((total / el)) B/s exits~$((total * 2 / el))/s"
check "every VM freed: $(counters)" counters_zero
rm -f /tmp/ser.*
done_
