# `plumb run` alone boots the default guest and shows its console; exit 0.
. ./lib.sh

out=$(plumb run 2>&1); rc=$?
echo "$out"
check "plumb run exits 0 after the guest's power-off (rc $rc)" test "$rc" -eq 0
for want in "Hello from plumb's default guest" "CPU: vendor" "hypervisor: PlumbHVPlumb" \
	"0000000000100000-0000000007ffffff RAM" "fw_cfg: 1 vCPU(s), 128 MiB of RAM"; do
	case "$out" in
	*"$want"*) ok "console shows: $want" ;;
	*) fail "console lacks: $want" ;;
	esac
done
out=$(plumb run --mem 64M --cpus 2 2>&1); rc=$?
check "--mem 64M --cpus 2 (rc $rc)" test "$rc" -eq 0
case "$out" in
*"fw_cfg: 2 vCPU(s), 64 MiB of RAM"*) ok "the guest sees 2 vCPUs and 64 MiB" ;;
*) fail "vCPUs/RAM not as asked: $out" ;;
esac
done_
