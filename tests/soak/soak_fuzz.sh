# soak_fuzz.sh SEED GUESTS: GUESTS guests of random instructions, each a
# fresh VM (t_soak fuzz: the statuses are listed there and in
# docs/testing.md); then the module's counters must be back at 0.
. ./lib.sh
. ./soaklib.sh

seed=$1
n=$2
echo "counters before: $(counters)"
./t_soak fuzz "$seed" "$n"
rc=$?
check "t_soak fuzz passed its own checks (exit $rc)" test "$rc" -eq 0
check "every VM freed: $(counters)" counters_zero
done_
