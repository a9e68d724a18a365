/* The cgroup v2 device filter: the device state (cgroup_devices.c)
 * compiled into a BPF_PROG_TYPE_CGROUP_DEVICE program.
 *
 * The kernel calls the program with struct bpf_cgroup_dev_ctx:
 *   access_type = (access << 16) | type   (type 1 block, 2 char)
 *   major, minor
 * and lets the access through when it returns 1.  The program loads the
 * four values into r2..r5, then tests the exceptions one block each; the
 * first that matches returns the opposite of the default, and falling off
 * the end returns the default.  */
#include <errno.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/utils.h"
#include "libcontainer/cgroup.h"

#define INSN(c, d, s, o, i)                                                                                  \
  ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define LDX_W(dst, src, off)     INSN (BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define ALU32_K(op, dst, imm)    INSN (BPF_ALU | (op) | BPF_K, dst, 0, 0, imm)
#define MOV32_R(dst, src)        INSN (BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV64_K(dst, imm)        INSN (BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define JMP_K(op, dst, imm, off) INSN (BPF_JMP | (op) | BPF_K, dst, 0, off, imm)
#define EXIT()                   INSN (BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

#define RWM (LC_DEV_ACC_READ | LC_DEV_ACC_WRITE | LC_DEV_ACC_MKNOD)

struct prog
{
  struct bpf_insn *v;
  size_t len, cap;
};

static void
emit (struct prog *p, struct bpf_insn i)
{
  if (p->len == p->cap)
    {
      p->cap = p->cap ? p->cap * 2 : 64;
      p->v = xreallocarray (p->v, p->cap, sizeof (*p->v));
    }
  p->v[p->len++] = i;
}

/* One exception: a run of "if it does not match, skip to the next block"
 * tests, then return.  The jump offsets count the instructions left in
 * the block, so the block is laid out first and patched after.  */
static void
emit_exception (struct prog *p, const struct lc_dev_rule *e, bool default_allow)
{
  size_t start = p->len, i;
  /* With all of rwm, both access tests always pass.  */
  bool test_access = (e->access & RWM) != RWM;

  if (e->type == 'b' || e->type == 'c')
    emit (p, JMP_K (BPF_JNE, BPF_REG_2, e->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0));
  if (test_access)
    {
      emit (p, MOV32_R (BPF_REG_1, BPF_REG_3));
      if (default_allow)
        {
          /* A deny exception: any requested bit in common.  */
          emit (p, ALU32_K (BPF_AND, BPF_REG_1, (int32_t) e->access));
          emit (p, JMP_K (BPF_JEQ, BPF_REG_1, 0, 0));
        }
      else
        {
          /* An allow exception: no requested bit outside it.  */
          emit (p, ALU32_K (BPF_AND, BPF_REG_1, (int32_t) (~e->access & RWM)));
          emit (p, JMP_K (BPF_JNE, BPF_REG_1, 0, 0));
        }
    }
  if (e->major >= 0)
    emit (p, JMP_K (BPF_JNE, BPF_REG_4, (int32_t) e->major, 0));
  if (e->minor >= 0)
    emit (p, JMP_K (BPF_JNE, BPF_REG_5, (int32_t) e->minor, 0));
  emit (p, MOV64_K (BPF_REG_0, default_allow ? 0 : 1));
  emit (p, EXIT ());
  /* Every jump of the block goes just past its end.  */
  for (i = start; i < p->len; i++)
    if (BPF_CLASS (p->v[i].code) == BPF_JMP && BPF_OP (p->v[i].code) != BPF_EXIT)
      p->v[i].off = (int16_t) (p->len - i - 1);
}

int
lc_bpf_devices_build (const struct lc_dev_state *s, void **ret_insns, size_t *ret_count)
{
  struct prog p = { 0 };
  size_t i;

  emit (&p, LDX_W (BPF_REG_2, BPF_REG_1, 0));
  emit (&p, ALU32_K (BPF_AND, BPF_REG_2, 0xffff));
  emit (&p, LDX_W (BPF_REG_3, BPF_REG_1, 0));
  emit (&p, ALU32_K (BPF_RSH, BPF_REG_3, 16));
  emit (&p, LDX_W (BPF_REG_4, BPF_REG_1, 4));
  emit (&p, LDX_W (BPF_REG_5, BPF_REG_1, 8));
  for (i = 0; i < s->len; i++)
    emit_exception (&p, &s->ex[i], s->default_allow);
  emit (&p, MOV64_K (BPF_REG_0, s->default_allow ? 1 : 0));
  emit (&p, EXIT ());
  *ret_insns = p.v;
  *ret_count = p.len;
  return 0;
}

static int
sys_bpf (int cmd, union bpf_attr *attr)
{
  return (int) syscall (SYS_bpf, cmd, attr, sizeof (*attr));
}

static int
prog_id (int fd, uint32_t *ret)
{
  struct bpf_prog_info info;
  union bpf_attr attr;

  memset (&info, 0, sizeof (info));
  memset (&attr, 0, sizeof (attr));
  attr.info.bpf_fd = (uint32_t) fd;
  attr.info.info_len = sizeof (info);
  attr.info.info = (uint64_t) (uintptr_t) &info;
  if (sys_bpf (BPF_OBJ_GET_INFO_BY_FD, &attr) < 0)
    return -errno;
  *ret = info.id;
  return 0;
}

int
lc_bpf_devices_apply (int dirfd, const struct lc_dev_state *s, rv_error_t *err)
{
  _cleanup_free_ struct bpf_insn *insns = NULL;
  _cleanup_close_ int prog = -1;
  static char log[4096];
  uint32_t ids[64], my_id = 0;
  union bpf_attr attr;
  size_t count = 0;
  void *v = NULL;
  uint32_t i, n;

  lc_bpf_devices_build (s, &v, &count);
  insns = v;

  memset (&attr, 0, sizeof (attr));
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t) (uintptr_t) insns;
  attr.insn_cnt = (uint32_t) count;
  attr.license = (uint64_t) (uintptr_t) "Apache";
  attr.log_buf = (uint64_t) (uintptr_t) log;
  attr.log_size = sizeof (log);
  attr.log_level = 1;
  log[0] = '\0';
  prog = sys_bpf (BPF_PROG_LOAD, &attr);
  if (prog < 0)
    {
      /* Retry without the log: a full log buffer fails the load too.  */
      attr.log_buf = 0;
      attr.log_size = 0;
      attr.log_level = 0;
      prog = sys_bpf (BPF_PROG_LOAD, &attr);
    }
  if (prog < 0)
    return rv_error_make (err, errno, "load the device filter (%zu instructions)", count);

  memset (&attr, 0, sizeof (attr));
  attr.target_fd = (uint32_t) dirfd;
  attr.attach_bpf_fd = (uint32_t) prog;
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (sys_bpf (BPF_PROG_ATTACH, &attr) < 0)
    {
      /* A program attached without ALLOW_MULTI (by another manager) can
       * only be replaced.  */
      attr.attach_flags = 0;
      if (sys_bpf (BPF_PROG_ATTACH, &attr) < 0)
        return rv_error_make (err, errno, "attach the device filter");
      return 0;
    }
  if (prog_id (prog, &my_id) < 0)
    return 0;

  /* Both filters apply until the old one goes: stricter, never looser.  */
  memset (&attr, 0, sizeof (attr));
  attr.query.target_fd = (uint32_t) dirfd;
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = (uint64_t) (uintptr_t) ids;
  attr.query.prog_cnt = ARRAY_SIZE (ids);
  if (sys_bpf (BPF_PROG_QUERY, &attr) < 0)
    return rv_error_make (err, errno, "query the device filters");
  n = attr.query.prog_cnt;
  for (i = 0; i < n && i < ARRAY_SIZE (ids); i++)
    {
      _cleanup_close_ int old = -1;
      union bpf_attr a;
      if (ids[i] == my_id)
        continue;
      memset (&a, 0, sizeof (a));
      a.prog_id = ids[i];
      old = sys_bpf (BPF_PROG_GET_FD_BY_ID, &a);
      if (old < 0)
        continue;
      memset (&a, 0, sizeof (a));
      a.target_fd = (uint32_t) dirfd;
      a.attach_bpf_fd = (uint32_t) old;
      a.attach_type = BPF_CGROUP_DEVICE;
      if (sys_bpf (BPF_PROG_DETACH, &a) < 0 && errno != ENOENT)
        return rv_error_make (err, errno, "detach the previous device filter");
    }
  return 0;
}
