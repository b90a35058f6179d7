#include "textflag.h"

// func quoteMasksAVX2(b []byte, masks *[maskWords]uint32) (bad bool)
//
// For each 32 bytes of b, from the start, one word of masks gets a bit for
// each quote. bad is set when b holds a backslash, a byte below 0x20 or a
// byte above 0x7F. len(b) is 32 to 32*maskWords. The last, partial block
// is read as the 32 bytes that end b, and its mask shifted down so that it
// starts at the block's first byte: nothing outside b is read.
TEXT ·quoteMasksAVX2(SB), NOSPLIT, $0-33
	MOVQ b_base+0(FP), SI
	MOVQ b_len+8(FP), CX
	MOVQ masks+24(FP), DI
	MOVQ $0x2222222222222222, AX
	MOVQ AX, X1
	VPBROADCASTQ X1, Y1
	MOVQ $0x5c5c5c5c5c5c5c5c, AX
	MOVQ AX, X2
	VPBROADCASTQ X2, Y2
	MOVQ $0x2020202020202020, AX
	MOVQ AX, X3
	VPBROADCASTQ X3, Y3
	VPXOR Y4, Y4, Y4 // the bad bytes seen
	MOVQ CX, R8
	SUBQ $32, R8     // the offset of the block that ends b
	XORQ AX, AX      // the offset of the next block
	XORQ R9, R9      // its word in masks

loop:
	CMPQ AX, R8
	JGT  tail
	VMOVDQU (SI)(AX*1), Y0
	VPCMPEQB Y0, Y1, Y5
	VPMOVMSKB Y5, DX
	MOVL DX, (DI)(R9*4)
	VPCMPEQB Y0, Y2, Y6
	VPCMPGTB Y0, Y3, Y7 // 0x20 > byte as signed: below 0x20 or above 0x7F
	VPOR Y6, Y7, Y6
	VPOR Y6, Y4, Y4
	ADDQ $32, AX
	INCQ R9
	JMP  loop

tail:
	CMPQ AX, CX
	JEQ  done
	VMOVDQU (SI)(R8*1), Y0
	VPCMPEQB Y0, Y1, Y5
	VPMOVMSKB Y5, DX
	MOVQ AX, CX
	SUBQ R8, CX     // the bytes of the block already seen
	SHRL CX, DX
	MOVL DX, (DI)(R9*4)
	VPCMPEQB Y0, Y2, Y6
	VPCMPGTB Y0, Y3, Y7
	VPOR Y6, Y7, Y6
	VPOR Y6, Y4, Y4

done:
	VPTEST Y4, Y4
	SETNE bad+32(FP)
	VZEROUPPER
	RET
