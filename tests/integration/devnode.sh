# /dev/plumb: a misc char device, mode 0660 from the kernel, group "plumb"
# from packaging/60-plumb.rules (applied by the runner as udev would).
. ./lib.sh

check "/dev/plumb is a character device" test -c /dev/plumb
mode=$(stat -c %a /dev/plumb)
group=$(stat -c %G /dev/plumb)
check "mode is 660 (got $mode)" test "$mode" = 660
check "group is plumb (got $group)" test "$group" = plumb
minor=$(cat /sys/class/misc/plumb/dev 2>/dev/null)
check "misc device registered in sysfs ($minor)" test -n "$minor"
check "major is misc (10)" test "${minor%%:*}" = 10
done_
