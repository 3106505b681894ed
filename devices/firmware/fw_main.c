/* edgeq firmware: runs a model compiled by `edgeq compile --name model` and answers the serial
 * protocol of edgeq/profiling/transports/serial.py (MLPerf Tiny's runner commands plus edgeq's).
 *
 * Commands end with '%'; every answer ends with "m-ready". From MLPerf Tiny:
 *   name                 m-name-dut-[edgeq-BOARD]
 *   profile              m-profile-[...] m-model-[...], and edgeq's m-timer-hz-H, m-timer-[T],
 *                        m-arena-bytes-N, m-model-sha256-[HEX]
 *   db load N / db HEX   the input tensors (all of them, one after another), 31 bytes per chunk
 *   infer N W            W warm-up inferences, then N timed ones: m-lap-us-T0 m-lap-us-T1 (the
 *                        window counts invoke() only; the input is restored between inferences
 *                        outside it), m-infer-ticks-T, m-results-[...]
 * edgeq's additions:
 *   model load N + db    streams a .tflite and compares its SHA-256 with the compiled-in model's
 *   arena                m-arena-used-BYTES
 *   ops                  m-op-I-ticks-T for each op of the last inference
 *   output               m-output-HEX lines (32 bytes each): every output tensor, in order
 *   cal N                m-cal-ticks-T for a loop of exactly 2N instructions (timer calibration)
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bsp.h"
#include "model.h"
#include "sha256.h"

#define FW_VERSION "1"
#define CMD_MAX 96

static uint8_t input_copy[MODEL_INPUTS_BYTES];  /* the loaded input, kept: invoke() reuses the arena */
static uint32_t op_ticks[MODEL_NUM_OPS + 1];
static uint64_t op_last;
static int op_prev = -1;

/* Called before op i runs (i = MODEL_NUM_OPS at the end): the previous op's ticks are done.
 * Ops that run no code (reshapes) are not called and keep 0. */
void fw_op_hook(int i) {
  const uint64_t now = bsp_ticks();
  if (op_prev >= 0 && op_prev < MODEL_NUM_OPS) op_ticks[op_prev] = (uint32_t)(now - op_last);
  op_prev = i < MODEL_NUM_OPS ? i : -1;
  op_last = now;
}

static uint32_t fw_input_bytes(void) {
  uint32_t n = 0;
  for (int i = 0; i < MODEL_NUM_INPUTS; ++i) n += model_input_info(i)->bytes;
  return n;
}

static void puts_(const char* s) {
  while (*s) bsp_putc(*s++);
}

static void put_u64(uint64_t v) {
  char buf[21];
  int n = 0;
  do {
    buf[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n) bsp_putc(buf[--n]);
}

static void put_i32(int32_t v) {
  if (v < 0) {
    bsp_putc('-');
    put_u64((uint64_t)(-(int64_t)v));
  } else {
    put_u64((uint64_t)v);
  }
}

static void put_hex(const uint8_t* p, size_t n) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; ++i) {
    bsp_putc(digits[p[i] >> 4]);
    bsp_putc(digits[p[i] & 15]);
  }
}

static int streq(const char* a, const char* b) {
  while (*a && *a == *b) ++a, ++b;
  return *a == *b;
}

static int starts(const char* s, const char* p) {
  while (*p)
    if (*s++ != *p++) return 0;
  return 1;
}

static void line(const char* s) {
  puts_(s);
  puts_("\r\n");
}

static uint64_t ticks_to_us(uint64_t t) { return t * 1000000u / bsp_tick_hz(); }

static int parse_u32(const char* s, uint32_t* out) {
  uint64_t v = 0;
  if (*s < '0' || *s > '9') return -1;
  for (; *s >= '0' && *s <= '9'; ++s) {
    v = v * 10 + (uint64_t)(*s - '0');
    if (v > 0xFFFFFFFFu) return -1;
  }
  if (*s && *s != ' ') return -1;
  *out = (uint32_t)v;
  return 0;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* load state */
enum { LOAD_NONE, LOAD_INPUT, LOAD_MODEL };
static int load_kind = LOAD_NONE;
static uint32_t load_expect, load_got;
static sha256_ctx load_sha;
static int input_ready;

static void restore_input(void) {
  uint32_t off = 0;
  for (int i = 0; i < MODEL_NUM_INPUTS; ++i) {
    memcpy(model_input(i), input_copy + off, model_input_info(i)->bytes);
    off += model_input_info(i)->bytes;
  }
}

static void cmd_profile(void) {
  puts_("m-profile-[edgeq-firmware " FW_VERSION " ");
  puts_(bsp_board);
  line("]");
  puts_("m-model-[model sha256 ");
  puts_(MODEL_MODEL_SHA256);
  line("]");
  puts_("m-timer-hz-");
  put_u64(bsp_tick_hz());
  puts_("\r\nm-timer-[");
  puts_(bsp_timer());
  puts_("]\r\nm-arena-bytes-");
  put_u64(MODEL_ARENA_BYTES);
  puts_("\r\nm-model-ops-");
  put_u64(MODEL_NUM_OPS);
  puts_("\r\nm-model-sha256-[");
  puts_(MODEL_MODEL_SHA256);
  line("]");
}

static void cmd_load(int kind, const char* arg) {
  uint32_t n;
  if (parse_u32(arg, &n) != 0) {
    line("e-[load needs a byte count]");
    return;
  }
  if (kind == LOAD_INPUT && n != fw_input_bytes()) {
    puts_("e-[input has ");
    put_u64(n);
    puts_(" bytes, the model needs ");
    put_u64(fw_input_bytes());
    line("]");
    return;
  }
  load_kind = kind;
  load_expect = n;
  load_got = 0;
  if (kind == LOAD_INPUT) input_ready = 0;
  sha256_init(&load_sha);
  puts_("m-[Expecting ");
  put_u64(n);
  line(" bytes]");
}

static void load_done(void) {
  if (load_kind == LOAD_INPUT) {
    input_ready = 1;
    line("m-load-done");
  } else {
    static const char hex[] = "0123456789abcdef";
    uint8_t d[32];
    char got[65];
    sha256_final(&load_sha, d);
    for (int i = 0; i < 32; ++i) {
      got[2 * i] = hex[d[i] >> 4];
      got[2 * i + 1] = hex[d[i] & 15];
    }
    got[64] = 0;
    if (!streq(got, MODEL_MODEL_SHA256)) {
      puts_("e-[this firmware runs another model (sha256 ");
      puts_(MODEL_MODEL_SHA256);
      line("): build firmware for this one with edgeq compile --board]");
    } else {
      line("m-load-done");
      puts_("m-model-ready-arena-");
      put_u64(MODEL_ARENA_BYTES);
      line("-init-us-0");
    }
  }
  load_kind = LOAD_NONE;
}

static void cmd_db(const char* hex) {
  if (load_kind == LOAD_NONE) {
    line("e-[no load in progress: send 'db load N' first]");
    return;
  }
  for (; hex[0] && hex[1] && load_got < load_expect; hex += 2) {
    const int hi = hexval(hex[0]), lo = hexval(hex[1]);
    if (hi < 0 || lo < 0) {
      line("e-[bad hex digit]");
      load_kind = LOAD_NONE;
      return;
    }
    const uint8_t b = (uint8_t)(hi << 4 | lo);
    if (load_kind == LOAD_INPUT)
      input_copy[load_got] = b;
    else
      sha256_update(&load_sha, &b, 1);
    ++load_got;
  }
  if (load_got == load_expect) load_done();
}

static uint64_t last_ticks;

static void cmd_infer(const char* args) {
  uint32_t n = 1, w = 0;
  if (*args && parse_u32(args, &n) != 0) {
    line("e-[infer N W: N and W are counts]");
    return;
  }
  const char* sp = args;
  while (*sp && *sp != ' ') ++sp;
  if (*sp == ' ' && parse_u32(sp + 1, &w) != 0) {
    line("e-[infer N W: N and W are counts]");
    return;
  }
  if (!input_ready) {
    line("e-[no input loaded: send 'db load N' and the data first]");
    return;
  }
  puts_("m-warmup-start-");
  put_u64(w);
  puts_("\r\n");
  for (uint32_t i = 0; i < w; ++i) {
    restore_input();
    model_invoke();
  }
  line("m-warmup-done");
  puts_("m-infer-start-");
  put_u64(n);
  puts_("\r\n");
  uint64_t total = 0;
  const uint64_t start = bsp_ticks();
  bsp_window(1);
  for (uint32_t i = 0; i < n; ++i) {
    restore_input();
    const uint64_t t0 = bsp_ticks();
    model_invoke();
    total += bsp_ticks() - t0;
  }
  bsp_window(0);
  last_ticks = total;
  puts_("m-lap-us-");
  put_u64(ticks_to_us(start) & 0xFFFFFFFFu);
  puts_("\r\nm-lap-us-");
  put_u64((ticks_to_us(start) + ticks_to_us(total)) & 0xFFFFFFFFu);
  puts_("\r\nm-infer-ticks-");
  put_u64(total);
  puts_("\r\nm-infer-done\r\nm-results-[");
  const edgeq_tensor_info* o = model_output_info(0);
  const int8_t* y = (const int8_t*)model_output(0);
  const uint32_t count = o->type == 1 ? o->bytes / 4 : o->bytes;
  for (uint32_t i = 0; i < count && i < 32; ++i) {
    if (i) bsp_putc(',');
    if (o->type == 1) {
      put_hex((const uint8_t*)y + 4 * i, 4);
    } else {
      put_i32(y[i]);
    }
  }
  line("]");
}

static void cmd_ops(void) {
  for (int i = 0; i < MODEL_NUM_OPS; ++i) {
    puts_("m-op-");
    put_u64((uint64_t)i);
    puts_("-ticks-");
    put_u64(op_ticks[i]);
    puts_("\r\n");
  }
}

static void cmd_output(void) {
  for (int i = 0; i < MODEL_NUM_OUTPUTS; ++i) {
    const uint8_t* p = (const uint8_t*)model_output(i);
    const uint32_t n = model_output_info(i)->bytes;
    for (uint32_t off = 0; off < n; off += 32) {
      puts_("m-output-");
      put_hex(p + off, n - off < 32 ? n - off : 32);
      puts_("\r\n");
    }
  }
}

static void cmd_cal(const char* arg) {
  uint32_t n;
  if (parse_u32(arg, &n) != 0 || n == 0) {
    line("e-[cal N: N is a positive count]");
    return;
  }
  const uint64_t t0 = bsp_ticks();
  __asm volatile("1: subs %0, %0, #1\n bne 1b" : "+r"(n) : : "cc");
  const uint64_t t1 = bsp_ticks();
  puts_("m-cal-ticks-");
  put_u64(t1 - t0);
  puts_("\r\n");
}

static void handle(char* cmd) {
  while (*cmd == ' ' || *cmd == '\r' || *cmd == '\n') ++cmd;
  size_t len = 0;
  while (cmd[len]) ++len;
  while (len && (cmd[len - 1] == ' ' || cmd[len - 1] == '\r' || cmd[len - 1] == '\n')) cmd[--len] = 0;
  if (len == 0) return;
  if (streq(cmd, "name")) {
    puts_("m-name-dut-[edgeq-");
    puts_(bsp_board);
    line("]");
  } else if (streq(cmd, "profile")) {
    cmd_profile();
  } else if (starts(cmd, "db load ")) {
    cmd_load(LOAD_INPUT, cmd + 8);
  } else if (starts(cmd, "model load ")) {
    cmd_load(LOAD_MODEL, cmd + 11);
  } else if (starts(cmd, "db ")) {
    cmd_db(cmd + 3);
  } else if (streq(cmd, "infer") || starts(cmd, "infer ")) {
    cmd_infer(cmd[5] ? cmd + 6 : "");
  } else if (streq(cmd, "arena")) {
    puts_("m-arena-used-");
    put_u64(MODEL_ARENA_BYTES);
    puts_("\r\n");
  } else if (streq(cmd, "ops")) {
    cmd_ops();
  } else if (streq(cmd, "output")) {
    cmd_output();
  } else if (starts(cmd, "cal ")) {
    cmd_cal(cmd + 4);
  } else {
    puts_("e-[unknown command '");
    puts_(cmd);
    line("']");
  }
}

int main(void) {
  static char cmd[CMD_MAX];
  size_t n = 0;
  int overflow = 0;
  bsp_init();
  line("m-init-done");
  line("m-ready");
  for (;;) {
    const int c = bsp_getc();
    if (c != '%') {
      if (n < CMD_MAX - 1)
        cmd[n++] = (char)c;
      else
        overflow = 1;
      continue;
    }
    cmd[n] = 0;
    if (overflow)
      line("e-[command too long]");
    else
      handle(cmd);
    line("m-ready");
    n = 0;
    overflow = 0;
  }
}
