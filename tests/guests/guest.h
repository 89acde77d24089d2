/* Shared by the test guests: the mode directive and the ports they use. */
#if MODE == 16
	.code16
#elif MODE == 32
	.code32
#else
	.code64
#endif

#define PORT_OUT	0x3f8	/* bytes the host collects */
#define PORT_IN8	0x1234	/* the host answers a byte */
#define PORT_ECHO8	0x1235	/* the guest writes that byte + 1 */
#define PORT_IN32	0x1236	/* the host answers a dword */
#define PORT_ECHO32	0x1237	/* the guest writes that dword + 1 */
#define PORT_VAL32	0x1238	/* a 32-bit value for the host to check */

.macro putc c
	mov	$\c, %al
	out	%al, %dx
.endm
