# rmmod is refused while a /dev/plumb fd is open, and works after close.
. ./lib.sh

check "insmod" insmod /plumb/plumb.ko
./t_sysioctl hold > /tmp/hold.out 2>&1 &
pid=$!
i=0
while ! grep -q holding /tmp/hold.out && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
check "holder has the fd open" grep -q holding /tmp/hold.out
check "rmmod refused while the fd is open" not rmmod plumb
check "module still loaded" module_loaded
refs=$(awk '$1 == "plumb" { print $3 }' /proc/modules)
check "module refcount is 1 (got $refs)" test "$refs" = 1
kill "$pid"
wait "$pid" 2>/dev/null
check "rmmod works after close" rmmod plumb
check "module gone" sh -c '! grep -q "^plumb " /proc/modules'
done_
