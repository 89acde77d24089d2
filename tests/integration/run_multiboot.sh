# A multiboot guest of ours in kvm-unit-tests' style (tests/guests/mbcheck.c)
# through `plumb run`: it checks the multiboot info, fw_cfg and the devices
# and exits through port 0xf4 (0 = all passed, launcher status 1).
. ./lib.sh

G=/tests/guests/mbcheck.elf
for shape in "128 1" "300 2"; do
	set -- $shape
	printf 'NR_CPUS=%s\nMEMSIZE=%s\n' "$2" "$1" > /tmp/env
	plumb run --kernel $G --mem "$1M" --cpus "$2" --pc-testdev \
		--initrd /tmp/env --append "mem=$1 cpus=$2" > /tmp/out 2>/tmp/err; rc=$?
	guest_log /tmp/out
	check "mem $1M, $2 vCPU(s): status 1 = debug-exit 0 (rc $rc)" test "$rc" -eq 1
	check "no FAIL: line" not grep -q FAIL: /tmp/out
	check "a SUMMARY line" grep -q '^SUMMARY: [0-9]* tests.\?$' /tmp/out
	check "nothing on stderr" test ! -s /tmp/err
done
# A failing guest gives status 3 (debug-exit 1): cpus=5 is a wrong claim.
printf 'NR_CPUS=1\n' > /tmp/env
plumb run --kernel $G --initrd /tmp/env --append "mem=128 cpus=5" > /tmp/out 2>&1; rc=$?
check "a guest reporting failures exits 3 (rc $rc)" test "$rc" -eq 3
check "its FAIL: lines are shown" grep -q "FAIL: fw_cfg NB_CPUS" /tmp/out
done_
