/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest debug registers, the same on both backends (SDM Vol. 3B 18.2,
 * APM Vol. 2 13.1). Every MOV DRn exits and works on the vCPU's copy, so
 * the guest never reads the host's DR0-3. The guest's DR0-3 go into the
 * CPU only for the entries where its DR7 arms a breakpoint, with the
 * host's DR7 off meanwhile; after the exit the host's breakpoints are put
 * back (hw_breakpoint_restore). This is KVM's switch_db_regs without
 * KVM_DEBUGREG_WONT_EXIT (decision 91).
 */
#ifndef PLUMB_DR_H
#define PLUMB_DR_H

#include <linux/bits.h>
#include <linux/types.h>
#include <asm/debugreg.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>

#define PLUMB_DR6_VOLATILE	0xe00fULL	/* B0-3, BD, BS, BT */
#define PLUMB_DR6_BD		BIT_ULL(13)
#define PLUMB_DR7_ENABLES	0xffULL		/* L0-3, G0-3 */
#define PLUMB_DR7_GD		BIT_ULL(13)
/* L/G0-3, LE, GE, GD and the RW/LEN fields; bit 10 reads as 1. */
#define PLUMB_DR7_VOLATILE	0xffff23ffULL
#define PLUMB_DR7_FIXED		0x400ULL

/* The guest's debug registers, as it sees them. */
struct plumb_dr {
	u64 *db, *dr6, *dr7;	/* DR0-3, DR6, DR7 where the backend keeps them */
};

/*
 * A guest MOV to (@write) or from DR@dr at CPL 0, @val in or out. Returns
 * 0, or the vector the instruction raises instead: #UD for DR4/5 with
 * CR4.DE, #DB (BD set, DR7.GD cleared) while DR7.GD is set, #GP for bits
 * 63:32 of DR6/DR7 (SDM Vol. 2B MOV DR; Vol. 3B 18.2.4).
 */
static inline int plumb_dr_access(struct plumb_dr *d, unsigned int dr,
				  bool write, u64 cr4, u64 *val)
{
	if (dr == 4 || dr == 5) {
		if (cr4 & X86_CR4_DE)
			return X86_TRAP_UD;
		dr += 2;
	}
	if (*d->dr7 & PLUMB_DR7_GD) {
		*d->dr6 = (*d->dr6 & ~(u64)DR_TRAP_BITS) | PLUMB_DR6_BD;
		*d->dr7 &= ~PLUMB_DR7_GD;
		return X86_TRAP_DB;
	}
	if (!write) {
		*val = dr < 4 ? d->db[dr] : dr == 6 ? *d->dr6 : *d->dr7;
		return 0;
	}
	if (dr >= 6 && (*val >> 32))
		return X86_TRAP_GP;
	if (dr < 4)
		d->db[dr] = *val;
	else if (dr == 6)
		*d->dr6 = (*val & PLUMB_DR6_VOLATILE) | DR6_RESERVED;
	else
		*d->dr7 = (*val & PLUMB_DR7_VOLATILE) | PLUMB_DR7_FIXED;
	return 0;
}

/*
 * Before an entry whose guest DR7 arms a breakpoint, irqs off: the host's
 * DR7 off first, so that no host breakpoint fires on a guest address.
 */
static inline void plumb_dr_load_guest(const u64 *db)
{
	set_debugreg(0UL, 7);
	set_debugreg(db[0], 0);
	set_debugreg(db[1], 1);
	set_debugreg(db[2], 2);
	set_debugreg(db[3], 3);
}

/*
 * After any exit, irqs off; @loaded: plumb_dr_load_guest() ran for it. The
 * host's DR0-3 matter only while its DR7 uses them; a DR7 the exit did
 * not clear (VMX sets 0x400) is cleared here.
 */
static inline void plumb_dr_restore_host(bool loaded)
{
	if (hw_breakpoint_active())
		hw_breakpoint_restore();
	else if (loaded)
		set_debugreg(0UL, 7);
}

#endif /* PLUMB_DR_H */
