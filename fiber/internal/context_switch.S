// The register switch between two stacks (fiber/internal/context_switch.h).
//
//   void goro_context_switch(void** save_sp, void* next_sp);
//
// Pushes the callee-saved registers and the floating-point control state of
// the running context on its stack, stores the stack pointer in *save_sp,
// loads next_sp and pops the same set from there, then returns into the
// other context. Caller-saved registers need no saving: to the compiler
// this is an ordinary call, which may clobber them anyway. No system call,
// no signal mask (that is what makes ucontext's swapcontext slow).
//
// A new context is a stack whose top holds a frame laid out as this file
// pops it (context_switch.h builds it): its return address is
// goro_context_start, which calls fn(arg) with fn and arg taken from two
// callee-saved slots. fn never returns.

#if defined(__x86_64__)
// Built with -fcf-protection: landing pads for indirect-branch tracking,
// and a property note saying so (below). Shadow stacks are not claimed:
// returning into another stack is exactly what they forbid.
#if defined(__CET__) && (__CET__ & 1)
#define GORO_ENDBR endbr64
#else
#define GORO_ENDBR
#endif
// System V: callee-saved rbx, rbp, r12-r15; control state MXCSR (SSE) and
// the x87 control word. Frame, from the saved stack pointer up:
//   0: MXCSR (4 bytes), x87 control word (2 bytes), padding
//   8: r15  16: r14  24: r13  32: r12  40: rbx  48: rbp  56: return address
        .text
        .globl  goro_context_switch
        .hidden goro_context_switch
        .type   goro_context_switch, @function
        .p2align 4
goro_context_switch:
        .cfi_startproc
        GORO_ENDBR
        pushq   %rbp
        .cfi_adjust_cfa_offset 8
        pushq   %rbx
        .cfi_adjust_cfa_offset 8
        pushq   %r12
        .cfi_adjust_cfa_offset 8
        pushq   %r13
        .cfi_adjust_cfa_offset 8
        pushq   %r14
        .cfi_adjust_cfa_offset 8
        pushq   %r15
        .cfi_adjust_cfa_offset 8
        subq    $8, %rsp
        .cfi_adjust_cfa_offset 8
        stmxcsr (%rsp)
        fnstcw  4(%rsp)
        movq    %rsp, (%rdi)
        movq    %rsi, %rsp
        ldmxcsr (%rsp)
        fldcw   4(%rsp)
        addq    $8, %rsp
        popq    %r15
        popq    %r14
        popq    %r13
        popq    %r12
        popq    %rbx
        popq    %rbp
        ret
        .cfi_endproc
        .size   goro_context_switch, .-goro_context_switch

// First code of a new context: rsp is the stack's (16-byte aligned) top,
// rbx = fn, r12 = arg. The call leaves fn's entry misaligned by 8, as the
// ABI wants. rip is marked undefined so unwinders and debuggers stop here.
        .globl  goro_context_start
        .hidden goro_context_start
        .type   goro_context_start, @function
        .p2align 4
goro_context_start:
        .cfi_startproc
        .cfi_undefined rip
        GORO_ENDBR
        movq    %r12, %rdi
        callq   *%rbx
        ud2
        .cfi_endproc
        .size   goro_context_start, .-goro_context_start

#if defined(__CET__) && (__CET__ & 1)
        .section .note.gnu.property, "a"
        .p2align 3
        .long   4               // name size
        .long   16              // descriptor size
        .long   5               // NT_GNU_PROPERTY_TYPE_0
        .asciz  "GNU"
        .long   0xc0000002      // GNU_PROPERTY_X86_FEATURE_1_AND
        .long   4
        .long   1               // IBT (not SHSTK)
        .p2align 3
#endif

#elif defined(__aarch64__)
// AAPCS64: callee-saved x19-x28, x29 (frame pointer), x30 (link register),
// the low halves d8-d15 of v8-v15; control state FPCR. Frame (176 bytes,
// 16-byte aligned), from the saved stack pointer up:
//   0: x19 x20  16: x21 x22  32: x23 x24  48: x25 x26  64: x27 x28
//   80: x29 x30  96: d8 d9  112: d10 d11  128: d12 d13  144: d14 d15
//   160: FPCR, padding
        .text
        .globl  goro_context_switch
        .hidden goro_context_switch
        .type   goro_context_switch, %function
        .p2align 4
goro_context_switch:
        .cfi_startproc
        sub     sp, sp, #176
        .cfi_adjust_cfa_offset 176
        stp     x19, x20, [sp, #0]
        stp     x21, x22, [sp, #16]
        stp     x23, x24, [sp, #32]
        stp     x25, x26, [sp, #48]
        stp     x27, x28, [sp, #64]
        stp     x29, x30, [sp, #80]
        stp     d8, d9, [sp, #96]
        stp     d10, d11, [sp, #112]
        stp     d12, d13, [sp, #128]
        stp     d14, d15, [sp, #144]
        mrs     x9, fpcr
        str     x9, [sp, #160]
        mov     x10, sp
        str     x10, [x0]
        mov     sp, x1
        ldp     x19, x20, [sp, #0]
        ldp     x21, x22, [sp, #16]
        ldp     x23, x24, [sp, #32]
        ldp     x25, x26, [sp, #48]
        ldp     x27, x28, [sp, #64]
        ldp     x29, x30, [sp, #80]
        ldp     d8, d9, [sp, #96]
        ldp     d10, d11, [sp, #112]
        ldp     d12, d13, [sp, #128]
        ldp     d14, d15, [sp, #144]
        ldr     x9, [sp, #160]
        msr     fpcr, x9
        add     sp, sp, #176
        ret
        .cfi_endproc
        .size   goro_context_switch, .-goro_context_switch

// First code of a new context: sp is the stack's top, x19 = fn, x20 = arg,
// x29 = 0 (ends frame-pointer chains).
        .globl  goro_context_start
        .hidden goro_context_start
        .type   goro_context_start, %function
        .p2align 4
goro_context_start:
        .cfi_startproc
        .cfi_undefined x30
        mov     x0, x20
        blr     x19
        brk     #0
        .cfi_endproc
        .size   goro_context_start, .-goro_context_start

#else
#error "goro fibers: no context switch for this architecture (x86-64 and AArch64 only)"
#endif

        .section .note.GNU-stack, "", %progbits
