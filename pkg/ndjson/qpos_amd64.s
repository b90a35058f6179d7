#include "textflag.h"

// The indexes of the 64 bytes of a block, as 16-bit words: 0 to 31, then
// 32 to 63 (the second half starts at +64).
DATA qposIndex<>+0(SB)/8, $0x0003000200010000
DATA qposIndex<>+8(SB)/8, $0x0007000600050004
DATA qposIndex<>+16(SB)/8, $0x000b000a00090008
DATA qposIndex<>+24(SB)/8, $0x000f000e000d000c
DATA qposIndex<>+32(SB)/8, $0x0013001200110010
DATA qposIndex<>+40(SB)/8, $0x0017001600150014
DATA qposIndex<>+48(SB)/8, $0x001b001a00190018
DATA qposIndex<>+56(SB)/8, $0x001f001e001d001c
DATA qposIndex<>+64(SB)/8, $0x0023002200210020
DATA qposIndex<>+72(SB)/8, $0x0027002600250024
DATA qposIndex<>+80(SB)/8, $0x002b002a00290028
DATA qposIndex<>+88(SB)/8, $0x002f002e002d002c
DATA qposIndex<>+96(SB)/8, $0x0033003200310030
DATA qposIndex<>+104(SB)/8, $0x0037003600350034
DATA qposIndex<>+112(SB)/8, $0x003b003a00390038
DATA qposIndex<>+120(SB)/8, $0x003f003e003d003c
GLOBL qposIndex<>(SB), RODATA|NOPTR, $128

// func quotePosAVX512(b []byte, q *qposList) (count int, bad bool)
//
// Writes the index of each quote in b to q, in order, and returns how
// many there are. Each half block's indexes are compressed in a register
// and stored whole, 32 words, past the last quote too: a compress straight
// to memory is far slower on some processors, and q has room for it. bad is set when b holds a backslash, a byte below 0x20
// or a byte above 0x7F. len(b) is 1 to qposMax. The last, partial block
// is loaded under a mask: nothing outside b is read.
TEXT ·quotePosAVX512(SB), NOSPLIT, $0-41
	MOVQ b_base+0(FP), SI
	MOVQ b_len+8(FP), CX
	MOVQ q+24(FP), DI
	MOVL $0x22, AX
	VPBROADCASTB AX, Z1
	MOVL $0x5c, AX
	VPBROADCASTB AX, Z2
	MOVL $0x20, AX
	VPBROADCASTB AX, Z3
	MOVL $64, AX
	VPBROADCASTW AX, Z12
	VMOVDQU64 qposIndex<>+0(SB), Z10
	VMOVDQU64 qposIndex<>+64(SB), Z11
	XORQ AX, AX  // the offset of the next block
	XORQ R10, R10 // quotes written
	XORQ R11, R11 // the bad bytes seen, as mask bits

loop:
	MOVQ CX, R8
	SUBQ AX, R8 // bytes left
	MOVQ $-1, DX
	CMPQ R8, $64
	JAE  full
	BZHIQ R8, DX, DX

full:
	KMOVQ DX, K7
	VMOVDQU8.Z (SI)(AX*1), K7, Z0
	VPCMPEQB Z1, Z0, K7, K1
	VPCMPEQB Z2, Z0, K7, K2
	VPCMPUB $1, Z3, Z0, K7, K3 // below 0x20
	VPMOVB2M Z0, K4            // above 0x7F
	KORQ K2, K3, K2
	KORQ K2, K4, K2
	KMOVQ K2, DX
	ORQ  DX, R11
	VPCOMPRESSW Z10, K1, Z20
	VMOVDQU16 Z20, (DI)(R10*2)
	KMOVQ K1, DX
	MOVL DX, R9
	POPCNTL R9, R9
	ADDQ R9, R10
	SHRQ $32, DX
	KSHIFTRQ $32, K1, K5
	VPCOMPRESSW Z11, K5, Z21
	VMOVDQU16 Z21, (DI)(R10*2)
	POPCNTL DX, DX
	ADDQ DX, R10
	VPADDW Z12, Z10, Z10
	VPADDW Z12, Z11, Z11
	ADDQ $64, AX
	CMPQ AX, CX
	JLT  loop

	MOVQ R10, count+32(FP)
	TESTQ R11, R11
	SETNE bad+40(FP)
	VZEROUPPER
	RET
