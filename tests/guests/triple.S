/* triple (32-bit): ud2 with an empty IDT: #UD -> #DF -> shutdown. */
#include "guest.h"
	.globl _start
_start:
	ud2
