// SPDX-License-Identifier: GPL-2.0
/*
 * t_kvmhold: hold a KVM VM open so that KVM owns VT-x/AMD-V (the owner
 * conflict plumb must report). Prints "held" when the VM exists, then
 * waits to be killed. Exits 3 when /dev/kvm is unusable.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kvm.h>

int main(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC), vm;

	if (kvm < 0) {
		perror("t_kvmhold: /dev/kvm");
		return 3;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		perror("t_kvmhold: KVM_CREATE_VM");
		return 3;
	}
	printf("held\n");
	fflush(stdout);
	for (;;)
		pause();
}
