/* A bytecode interpreter: a small stack machine with sixteen registers and
 * a dense switch dispatch, running a program assembled at start-up that
 * counts primes by trial division and accumulates a polynomial hash. The
 * bound comes from the command line, so nothing folds at compile time. */
#include "bench.h"

enum {
  OP_PUSH, OP_LOAD, OP_STORE, OP_ADD, OP_SUB, OP_MUL, OP_DIVU, OP_REMU,
  OP_LT, OP_EQ, OP_JZ, OP_JNZ, OP_JMP, OP_DUP, OP_DROP, OP_XOR, OP_SHL,
  OP_INC, OP_HALT
};

typedef struct {
  int32_t code[256];
  int len;
} program_t;

static void emit(program_t *p, int32_t op) { p->code[p->len++] = op; }
static void emit2(program_t *p, int32_t op, int32_t arg) { emit(p, op); emit(p, arg); }

static uint32_t run(const int32_t *code, uint32_t *reg) {
  uint32_t stack[64];
  int sp = 0;
  int pc = 0;
  for (;;) {
    int32_t op = code[pc++];
    switch (op) {
      case OP_PUSH: stack[sp++] = (uint32_t)code[pc++]; break;
      case OP_LOAD: stack[sp++] = reg[code[pc++]]; break;
      case OP_STORE: reg[code[pc++]] = stack[--sp]; break;
      case OP_ADD: sp--; stack[sp - 1] += stack[sp]; break;
      case OP_SUB: sp--; stack[sp - 1] -= stack[sp]; break;
      case OP_MUL: sp--; stack[sp - 1] *= stack[sp]; break;
      case OP_DIVU: sp--; stack[sp - 1] /= stack[sp]; break;
      case OP_REMU: sp--; stack[sp - 1] %= stack[sp]; break;
      case OP_LT: sp--; stack[sp - 1] = stack[sp - 1] < stack[sp]; break;
      case OP_EQ: sp--; stack[sp - 1] = stack[sp - 1] == stack[sp]; break;
      case OP_JZ: { int32_t t = code[pc++]; if (stack[--sp] == 0) pc = t; break; }
      case OP_JNZ: { int32_t t = code[pc++]; if (stack[--sp] != 0) pc = t; break; }
      case OP_JMP: pc = code[pc]; break;
      case OP_DUP: stack[sp] = stack[sp - 1]; sp++; break;
      case OP_DROP: sp--; break;
      case OP_XOR: sp--; stack[sp - 1] ^= stack[sp]; break;
      case OP_SHL: sp--; stack[sp - 1] <<= (stack[sp] & 31); break;
      case OP_INC: reg[code[pc]]++; pc++; break;
      case OP_HALT: return sp ? stack[sp - 1] : 0;
      default: return 0xdeadbeef;
    }
  }
}

/* Registers: r0 = bound, r1 = n, r2 = d, r3 = prime count, r4 = hash. */
static void assemble(program_t *p) {
  p->len = 0;
  emit2(p, OP_PUSH, 2); emit2(p, OP_STORE, 1);            /* n = 2 */
  int outer = p->len;
  emit2(p, OP_LOAD, 1); emit2(p, OP_LOAD, 0); emit(p, OP_LT);
  emit2(p, OP_JZ, 0); int patch_done = p->len - 1;         /* while n < bound */
  emit2(p, OP_PUSH, 2); emit2(p, OP_STORE, 2);            /* d = 2 */
  int inner = p->len;
  emit2(p, OP_LOAD, 2); emit2(p, OP_LOAD, 2); emit(p, OP_MUL);
  emit2(p, OP_LOAD, 1); emit2(p, OP_PUSH, 1); emit(p, OP_ADD);
  emit(p, OP_LT);                                          /* d*d < n+1 */
  emit2(p, OP_JZ, 0); int patch_prime = p->len - 1;
  emit2(p, OP_LOAD, 1); emit2(p, OP_LOAD, 2); emit(p, OP_REMU);
  emit2(p, OP_JZ, 0); int patch_next = p->len - 1;         /* divisible */
  emit2(p, OP_INC, 2); emit2(p, OP_JMP, inner);
  p->code[patch_prime] = p->len;                           /* prime: */
  emit2(p, OP_INC, 3);
  emit2(p, OP_LOAD, 4); emit2(p, OP_PUSH, 31); emit(p, OP_MUL);
  emit2(p, OP_LOAD, 1); emit(p, OP_XOR); emit2(p, OP_STORE, 4);
  p->code[patch_next] = p->len;                            /* next: */
  emit2(p, OP_LOAD, 4); emit2(p, OP_LOAD, 1); emit2(p, OP_PUSH, 3);
  emit(p, OP_SHL); emit(p, OP_ADD); emit2(p, OP_STORE, 4);
  emit2(p, OP_INC, 1); emit2(p, OP_JMP, outer);
  p->code[patch_done] = p->len;
  emit2(p, OP_LOAD, 3); emit(p, OP_HALT);
}

int main(int argc, char **argv) {
  long bound = bench_size(argc, argv, 380000);
  program_t prog;
  assemble(&prog);
  uint32_t reg[16] = {0};
  reg[0] = (uint32_t)bound;
  uint32_t primes = run(prog.code, reg);
  uint64_t sum = mix64(mix64(0, primes), reg[4]);
  bench_report("vm", sum);
  return 0;
}
