// SPDX-License-Identifier: GPL-2.0
/*
 * pinbench.c - /dev/pinbench: a benchmark harness for get_user_pages() /
 * pin_user_pages().
 *
 * The ioctl ABI is defined by pinbench_abi.h (the contract); every kernel
 * version difference lives in pinbench_compat.h.
 *
 * Each open file owns max_slots slots, each holding the pages of one PIN
 * request until UNPIN or close().  A module-wide budget (max_total_pages)
 * bounds how many pages all files together may hold, so that no page's
 * reference count can be driven towards overflow through this device.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/kernel.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/uaccess.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/highmem.h>
#include <linux/mutex.h>
#include <linux/ktime.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/utsname.h>
#include <linux/string.h>
#include <linux/overflow.h>
#include <linux/atomic.h>
#include <linux/stringify.h>
#include <linux/version.h>

#include "pinbench_abi.h"
#include "pinbench_compat.h"

/* ------------------------------------------------------------------ */
/* Module parameters                                                   */
/* ------------------------------------------------------------------ */

/*
 * Hard cap on max_pages.  Besides being sane, 1 << 19 keeps one pin call
 * within what every supported kernel handles without a WARN: on 5.10,
 * __gup_longterm_locked() kcalloc()s a temporary nr_pages-entry vma array
 * for FOLL_LONGTERM, and kmalloc() above KMALLOC_MAX_SIZE (4 MiB on x86-64,
 * i.e. 1 << 19 pointers) WARNs in the page allocator.
 */
#define PINBENCH_MAX_PAGES_CAP   (1u << 19)
#define PINBENCH_MAX_SLOTS_CAP   4096u
#define PINBENCH_MAX_ITERS_CAP   (1u << 22)
/*
 * Module-wide budget of held pages (slots of all files plus in-flight BENCH
 * pins).  A FOLL_PIN of an order-0 page adds GUP_PIN_COUNTING_BIAS (1024)
 * to its 32-bit refcount, and older kernels (6.1 included; 6.12 no longer)
 * do so for the shared zero page too, which read pins of untouched
 * anonymous memory return; 1 << 20 pins of one page stay at 2^30, safely
 * below overflow.
 */
#define PINBENCH_TOTAL_PAGES_CAP (1ul << 20)
/* inject_ns is clamped to 1 s per pin call (soft-lockup / RCU safety). */
#define PINBENCH_INJECT_MAX_NS   1000000000ull

static unsigned int max_pages = 65536;
module_param(max_pages, uint, 0444);
MODULE_PARM_DESC(max_pages, "Largest nr_pages accepted by PIN/BENCH (1..524288, default 65536)");

static unsigned int max_slots = 64;
module_param(max_slots, uint, 0444);
MODULE_PARM_DESC(max_slots, "Slots per open file (1..4096, default 64)");

static unsigned int max_bench_iters = 100000;
module_param(max_bench_iters, uint, 0444);
MODULE_PARM_DESC(max_bench_iters, "Largest BENCH iterations (1..4194304, default 100000)");

static unsigned long max_total_pages = PINBENCH_TOTAL_PAGES_CAP;
module_param(max_total_pages, ulong, 0444);
MODULE_PARM_DESC(max_total_pages, "Pages all open files together may hold at once (1..1048576, default 1048576)");

static unsigned long inject_ns;
module_param(inject_ns, ulong, 0644);
MODULE_PARM_DESC(inject_ns, "Busy delay (ns, <= 1e9) added inside the timed region of every pin call");

static atomic_long_t pinbench_held = ATOMIC_LONG_INIT(0);

/* ------------------------------------------------------------------ */
/* Per-file state                                                      */
/* ------------------------------------------------------------------ */

enum pinbench_kind {
	PINBENCH_SLOT_EMPTY = 0,
	PINBENCH_SLOT_PIN,	/* FOLL_PIN: release with unpin_user_pages*() */
	PINBENCH_SLOT_GET,	/* FOLL_GET: release with put_page() */
};

struct pinbench_slot {
	struct page **pages;
	u32 nr;
	u8 kind;
	bool write;		/* pinned with PINBENCH_F_WRITE */
};

struct pinbench_file {
	struct mutex lock;
	u32 nslots;
	struct pinbench_slot slots[];
};

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static u32 pinbench_api_mask(void)
{
	u32 m = 0;

	if (PINBENCH_HAVE_PIN_FAST)
		m |= 1u << PINBENCH_API_PIN_FAST;
	if (PINBENCH_HAVE_PIN)
		m |= 1u << PINBENCH_API_PIN;
	if (PINBENCH_HAVE_PIN_UNLOCKED)
		m |= 1u << PINBENCH_API_PIN_UNLOCKED;
	if (PINBENCH_HAVE_GET_FAST)
		m |= 1u << PINBENCH_API_GET_FAST;
	if (PINBENCH_HAVE_GET_FAST_ONLY)
		m |= 1u << PINBENCH_API_GET_FAST_ONLY;
	return m;
}

static bool pinbench_api_is_pin(u32 api)
{
	return api == PINBENCH_API_PIN_FAST || api == PINBENCH_API_PIN ||
	       api == PINBENCH_API_PIN_UNLOCKED;
}

static unsigned int pinbench_foll(u32 flags)
{
	unsigned int gup = 0;

	if (flags & PINBENCH_F_WRITE)
		gup |= FOLL_WRITE;
	if (flags & PINBENCH_F_LONGTERM)
		gup |= FOLL_LONGTERM;
	if (flags & PINBENCH_F_FORCE)
		gup |= FOLL_FORCE;
	return gup;
}

static u64 pinbench_inject(void)
{
	u64 ns = READ_ONCE(inject_ns);

	return min_t(u64, ns, PINBENCH_INJECT_MAX_NS);
}

/*
 * Validate api + flags of a PIN/BENCH request.  Returns 0 or a negative
 * errno.  Combinations that the kernel's GUP entry points answer with a
 * WARN_ON_ONCE() are refused here, before they reach the kernel:
 *
 *  - PINBENCH_F_LONGTERM with a GET API (get_user_pages_fast,
 *    get_user_pages_fast_only): FOLL_LONGTERM requires FOLL_PIN.  Before
 *    6.3, get_user_pages_fast() runs is_valid_gup_flags() (added by "mm/gup:
 *    don't permit users to call get_user_pages with FOLL_LONGTERM"), which
 *    has WARN_ON_ONCE(gup_flags & FOLL_LONGTERM); from 6.3 is_valid_gup_args()
 *    has WARN_ON_ONCE(!(gup_flags & FOLL_PIN) && (gup_flags &
 *    FOLL_LONGTERM)) for both GET fast entry points.  Refused on every
 *    kernel so that the ABI is the same everywhere.
 *  - PINBENCH_F_LONGTERM with pin_user_pages_unlocked() before 6.3:
 *    get_user_pages_unlocked() has WARN_ON_ONCE(gup_flags & FOLL_LONGTERM)
 *    (see PINBENCH_UNLOCKED_LONGTERM_OK in pinbench_compat.h).
 *
 * Not refused, because no supported kernel WARNs on them (they are checked
 * in check_vma_flags()/the fast path and at worst fail with -EFAULT):
 * FOLL_FORCE without FOLL_WRITE, FOLL_FORCE|FOLL_WRITE, FOLL_LONGTERM with
 * the PIN APIs, FOLL_LONGTERM|FOLL_WRITE on file mappings.  The internal
 * flags the kernel does WARN on (FOLL_PIN, FOLL_GET mixed with PIN,
 * FOLL_FAST_ONLY, FOLL_TRIED, FOLL_REMOTE, FOLL_UNLOCKABLE, FOLL_TOUCH) can
 * never be produced from PINBENCH_F_* bits.
 */
static int pinbench_check_api(u32 api, u32 flags)
{
	if (api >= PINBENCH_API_COUNT || (flags & ~PINBENCH_F_ALL))
		return -EINVAL;
	if (!(pinbench_api_mask() & (1u << api)))
		return -EOPNOTSUPP;
	if ((flags & PINBENCH_F_LONGTERM) && !pinbench_api_is_pin(api))
		return -EINVAL;
	if ((flags & PINBENCH_F_LONGTERM) && api == PINBENCH_API_PIN_UNLOCKED &&
	    !PINBENCH_UNLOCKED_LONGTERM_OK)
		return -EINVAL;
	return 0;
}

/* Validate the user range of a PIN/BENCH request. */
static int pinbench_check_range(u64 addr, u32 nr_pages)
{
	u64 len, end;

	if (nr_pages == 0)
		return -ERANGE;
	if (nr_pages > READ_ONCE(max_pages))
		return -E2BIG;
	if (addr & ~(u64)PAGE_MASK)
		return -EDOM;
	len = (u64)nr_pages << PAGE_SHIFT;
	if (check_add_overflow(addr, len, &end))
		return -EOVERFLOW;
	if (end > (u64)ULONG_MAX ||
	    !access_ok((void __user *)(unsigned long)addr, (unsigned long)len))
		return -EADDRNOTAVAIL;
	return 0;
}

/* Reserve nr pages of the module-wide budget. */
static int pinbench_budget_get(unsigned long nr)
{
	if (atomic_long_add_return(nr, &pinbench_held) > (long)max_total_pages) {
		atomic_long_sub(nr, &pinbench_held);
		return -EDQUOT;
	}
	return 0;
}

static void pinbench_budget_put(unsigned long nr)
{
	if (nr)
		atomic_long_sub(nr, &pinbench_held);
}

/* The pinning call proper.  Returns what the kernel returned. */
static long pinbench_gup(u32 api, unsigned long addr, u32 nr,
			 unsigned int gup, struct page **pages)
{
	long ret = -EOPNOTSUPP;

	switch (api) {
#if PINBENCH_HAVE_PIN_FAST
	case PINBENCH_API_PIN_FAST:
		ret = pin_user_pages_fast(addr, (int)nr, gup, pages);
		break;
#endif
#if PINBENCH_HAVE_PIN
	case PINBENCH_API_PIN:
		pinbench_mmap_read_lock(current->mm);
		ret = pinbench_pin_user_pages(addr, nr, gup, pages);
		pinbench_mmap_read_unlock(current->mm);
		break;
#endif
#if PINBENCH_HAVE_PIN_UNLOCKED
	case PINBENCH_API_PIN_UNLOCKED:
		ret = pin_user_pages_unlocked(addr, nr, pages, gup);
		break;
#endif
#if PINBENCH_HAVE_GET_FAST
	case PINBENCH_API_GET_FAST:
		ret = get_user_pages_fast(addr, (int)nr, gup, pages);
		break;
#endif
#if PINBENCH_HAVE_GET_FAST_ONLY
	case PINBENCH_API_GET_FAST_ONLY:
		ret = get_user_pages_fast_only(addr, (int)nr, gup, pages);
		break;
#endif
	default:
		break;
	}
	/* Never trust a count larger than asked for. */
	if (ret > (long)nr)
		ret = nr;
	return ret;
}

/*
 * Timed pin: ktime_get_ns() around the pinning call plus the inject_ns busy
 * delay.  The delay spins on ktime_get_ns(), so it also works when QEMU's
 * -icount makes guest time follow executed instructions.
 */
static long pinbench_timed_gup(u32 api, unsigned long addr, u32 nr,
			       unsigned int gup, struct page **pages, u64 *ns)
{
	u64 inject = pinbench_inject();
	u64 t0, t1;
	long ret;

	t0 = ktime_get_ns();
	ret = pinbench_gup(api, addr, nr, gup, pages);
	if (inject) {
		t1 = ktime_get_ns();
		while (ktime_get_ns() - t1 < inject) {
			cpu_relax();
			if (need_resched())
				cond_resched();
		}
	}
	*ns = ktime_get_ns() - t0;
	return ret;
}

/* Release n pages obtained with the given kind. */
static void pinbench_release_pages(struct page **pages, u32 n, u8 kind,
				   bool dirty)
{
	u32 i;

	if (!n)
		return;
	if (kind == PINBENCH_SLOT_PIN) {
		if (dirty)
			unpin_user_pages_dirty_lock(pages, n, true);
		else
			unpin_user_pages(pages, n);
		return;
	}
	for (i = 0; i < n; i++) {
		if (dirty)
			pinbench_set_page_dirty_lock(pages[i]);
		put_page(pages[i]);
	}
}

static void pinbench_slot_free(struct pinbench_slot *s, bool dirty)
{
	pinbench_release_pages(s->pages, s->nr, s->kind, dirty);
	kvfree(s->pages);
	pinbench_budget_put(s->nr);
	s->pages = NULL;
	s->nr = 0;
	s->kind = PINBENCH_SLOT_EMPTY;
	s->write = false;
}

/* Look up a held slot; caller holds pf->lock. */
static int pinbench_slot_lookup(struct pinbench_file *pf, u32 id,
				struct pinbench_slot **out)
{
	if (id >= pf->nslots)
		return -EBADSLT;
	if (pf->slots[id].kind == PINBENCH_SLOT_EMPTY)
		return -ENOENT;
	*out = &pf->slots[id];
	return 0;
}

static u64 pinbench_fnv1a(const u8 *p, size_t len)
{
	u64 h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* ------------------------------------------------------------------ */
/* ioctls                                                              */
/* ------------------------------------------------------------------ */

static long pinbench_ioc_info(void __user *uarg)
{
	struct pinbench_info info;

	memset(&info, 0, sizeof(info));
	info.abi_version = PINBENCH_ABI_VERSION;
	info.page_size = PAGE_SIZE;
	info.max_pages = max_pages;
	info.max_slots = max_slots;
	info.max_bench_iters = max_bench_iters;
	info.api_mask = pinbench_api_mask();
	info.flag_mask = PINBENCH_F_ALL;
	info.kernel_version = LINUX_VERSION_CODE;
	info.inject_ns = pinbench_inject();
	strscpy((char *)info.release, utsname()->release, sizeof(info.release));

	if (copy_to_user(uarg, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

static long pinbench_ioc_pin(struct pinbench_file *pf, void __user *uarg)
{
	struct pinbench_pin req;
	struct pinbench_slot *slot = NULL;
	struct page **pages;
	u32 i, id = PINBENCH_NO_SLOT;
	long ret;
	u64 ns = 0;
	int err;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.reserved || req.pad)
		return -EINVAL;
	err = pinbench_check_api(req.api, req.flags);
	if (err)
		return err;
	err = pinbench_check_range(req.addr, req.nr_pages);
	if (err)
		return err;

	if (mutex_lock_killable(&pf->lock))
		return -EINTR;

	for (i = 0; i < pf->nslots; i++) {
		if (pf->slots[i].kind == PINBENCH_SLOT_EMPTY) {
			slot = &pf->slots[i];
			id = i;
			break;
		}
	}
	if (!slot) {
		err = -ENOSPC;
		goto out_unlock;
	}
	err = pinbench_budget_get(req.nr_pages);
	if (err)
		goto out_unlock;
	pages = kvmalloc_array(req.nr_pages, sizeof(*pages),
			       GFP_KERNEL | __GFP_NOWARN);
	if (!pages) {
		pinbench_budget_put(req.nr_pages);
		err = -ENOMEM;
		goto out_unlock;
	}

	ret = pinbench_timed_gup(req.api, (unsigned long)req.addr,
				 req.nr_pages, pinbench_foll(req.flags), pages,
				 &ns);

	req.ns = ns;
	req.error = 0;
	req.pinned = 0;
	req.slot = PINBENCH_NO_SLOT;
	if (ret < 0) {
		req.error = (u32)-ret;
		ret = 0;
	}
	/* Give back the budget of pages not pinned. */
	pinbench_budget_put(req.nr_pages - (u32)ret);
	if (ret == 0) {
		kvfree(pages);
	} else {
		slot->pages = pages;
		slot->nr = (u32)ret;
		slot->kind = pinbench_api_is_pin(req.api) ?
			     PINBENCH_SLOT_PIN : PINBENCH_SLOT_GET;
		slot->write = !!(req.flags & PINBENCH_F_WRITE);
		req.pinned = (u32)ret;
		req.slot = id;
	}

	if (copy_to_user(uarg, &req, sizeof(req))) {
		/* User space cannot learn the slot: do not leak it. */
		if (req.slot != PINBENCH_NO_SLOT)
			pinbench_slot_free(slot, false);
		err = -EFAULT;
		goto out_unlock;
	}
	err = 0;
out_unlock:
	mutex_unlock(&pf->lock);
	return err;
}

static long pinbench_ioc_unpin(struct pinbench_file *pf, void __user *uarg)
{
	struct pinbench_unpin req;
	struct pinbench_slot *slot;
	bool dirty;
	u64 t0;
	int err;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.pad || (req.flags & ~PINBENCH_UNPIN_ALL))
		return -EINVAL;
	dirty = !!(req.flags & PINBENCH_UNPIN_DIRTY);

	if (mutex_lock_killable(&pf->lock))
		return -EINTR;
	err = pinbench_slot_lookup(pf, req.slot, &slot);
	if (err)
		goto out_unlock;
	/*
	 * Dirtying pages that were pinned for reading could mark the shared
	 * zero page or read-only page cache dirty (file systems may WARN when
	 * writing back a page dirtied without ->page_mkwrite): refuse.
	 */
	if (dirty && !slot->write) {
		err = -EPERM;
		goto out_unlock;
	}

	req.released = slot->nr;
	t0 = ktime_get_ns();
	pinbench_release_pages(slot->pages, slot->nr, slot->kind, dirty);
	req.ns = ktime_get_ns() - t0;
	/* Pages are released: only the bookkeeping remains. */
	slot->nr = 0;
	pinbench_slot_free(slot, false);
	pinbench_budget_put(req.released);

	err = copy_to_user(uarg, &req, sizeof(req)) ? -EFAULT : 0;
out_unlock:
	mutex_unlock(&pf->lock);
	return err;
}

static long pinbench_ioc_bench(void __user *uarg)
{
	struct pinbench_bench req;
	struct page **pages = NULL;
	u64 *pin_ns = NULL, *unpin_ns = NULL;
	unsigned int gup;
	u8 kind;
	u32 it;
	long ret;
	u64 ns, t0;
	size_t tbytes;
	int err;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	err = pinbench_check_api(req.api, req.flags);
	if (err)
		return err;
	if (req.iterations == 0 || req.iterations > READ_ONCE(max_bench_iters))
		return -ERANGE;
	err = pinbench_check_range(req.addr, req.nr_pages);
	if (err)
		return err;
	tbytes = (size_t)req.iterations * sizeof(u64);
	if (req.pin_ns_ptr > ULONG_MAX || req.unpin_ns_ptr > ULONG_MAX ||
	    !access_ok((void __user *)(unsigned long)req.pin_ns_ptr, tbytes) ||
	    !access_ok((void __user *)(unsigned long)req.unpin_ns_ptr, tbytes))
		return -EFAULT;

	err = pinbench_budget_get(req.nr_pages);
	if (err)
		return err;
	pages = kvmalloc_array(req.nr_pages, sizeof(*pages),
			       GFP_KERNEL | __GFP_NOWARN);
	pin_ns = kvmalloc_array(req.iterations, sizeof(u64),
				GFP_KERNEL | __GFP_NOWARN);
	unpin_ns = kvmalloc_array(req.iterations, sizeof(u64),
				  GFP_KERNEL | __GFP_NOWARN);
	if (!pages || !pin_ns || !unpin_ns) {
		err = -ENOMEM;
		goto out;
	}

	gup = pinbench_foll(req.flags);
	kind = pinbench_api_is_pin(req.api) ? PINBENCH_SLOT_PIN :
					      PINBENCH_SLOT_GET;
	req.cold_pin_ns = 0;
	req.cold_unpin_ns = 0;
	req.cold_pinned = 0;
	req.min_pinned = 0;
	req.completed = 0;
	req.error = 0;

	/* Cold iteration. */
	ret = pinbench_timed_gup(req.api, (unsigned long)req.addr,
				 req.nr_pages, gup, pages, &ns);
	req.cold_pin_ns = ns;
	if (ret < 0) {
		req.error = (u32)-ret;
		goto copy_out;
	}
	req.cold_pinned = (u32)ret;
	t0 = ktime_get_ns();
	pinbench_release_pages(pages, (u32)ret, kind, false);
	req.cold_unpin_ns = ktime_get_ns() - t0;

	req.min_pinned = req.nr_pages;
	for (it = 0; it < req.iterations; it++) {
		cond_resched();
		if (fatal_signal_pending(current)) {
			req.error = EINTR;
			break;
		}
		ret = pinbench_timed_gup(req.api, (unsigned long)req.addr,
					 req.nr_pages, gup, pages, &ns);
		if (ret < 0) {
			req.error = (u32)-ret;
			break;
		}
		pin_ns[it] = ns;
		if ((u32)ret < req.min_pinned)
			req.min_pinned = (u32)ret;
		t0 = ktime_get_ns();
		pinbench_release_pages(pages, (u32)ret, kind, false);
		unpin_ns[it] = ktime_get_ns() - t0;
		req.completed = it + 1;
	}
	if (req.completed == 0)
		req.min_pinned = 0;

copy_out:
	err = 0;
	if (req.completed &&
	    (copy_to_user((void __user *)(unsigned long)req.pin_ns_ptr, pin_ns,
			  (size_t)req.completed * sizeof(u64)) ||
	     copy_to_user((void __user *)(unsigned long)req.unpin_ns_ptr,
			  unpin_ns, (size_t)req.completed * sizeof(u64))))
		err = -EFAULT;
	if (!err && copy_to_user(uarg, &req, sizeof(req)))
		err = -EFAULT;
out:
	kvfree(unpin_ns);
	kvfree(pin_ns);
	kvfree(pages);
	pinbench_budget_put(req.nr_pages);
	return err;
}

static long pinbench_ioc_query(struct pinbench_file *pf, void __user *uarg,
			       bool read)
{
	struct pinbench_slot_query req;
	struct pinbench_slot *slot;
	u64 __user *out;
	u64 __user *sum = NULL;
	u32 i;
	int err;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (!read && req.sum_ptr)
		return -EINVAL;

	if (mutex_lock_killable(&pf->lock))
		return -EINTR;
	err = pinbench_slot_lookup(pf, req.slot, &slot);
	if (err)
		goto out_unlock;
	if (req.nr < slot->nr) {
		err = -ERANGE;
		goto out_unlock;
	}
	err = -EFAULT;
	if (req.out_ptr > ULONG_MAX || req.sum_ptr > ULONG_MAX)
		goto out_unlock;
	out = (u64 __user *)(unsigned long)req.out_ptr;
	if (!access_ok(out, (size_t)slot->nr * sizeof(u64)))
		goto out_unlock;
	if (read && req.sum_ptr) {
		sum = (u64 __user *)(unsigned long)req.sum_ptr;
		if (!access_ok(sum, (size_t)slot->nr * sizeof(u64)))
			goto out_unlock;
	}

	for (i = 0; i < slot->nr; i++) {
		struct page *page = slot->pages[i];
		u64 v, h = 0;

		if (read) {
			void *kaddr = pinbench_kmap(page);

			memcpy(&v, kaddr, sizeof(v));
			if (sum)
				h = pinbench_fnv1a(kaddr, PAGE_SIZE);
			pinbench_kunmap(kaddr);
		} else {
			v = (u64)page_to_pfn(page);
		}
		/* No user access while a page is kmapped (kmap_atomic < 5.11). */
		if (put_user(v, out + i))
			goto out_unlock;
		if (sum && put_user(h, sum + i))
			goto out_unlock;
		if ((i & 255) == 255)
			cond_resched();
	}
	req.nr = slot->nr;
	err = copy_to_user(uarg, &req, sizeof(req)) ? -EFAULT : 0;
out_unlock:
	mutex_unlock(&pf->lock);
	return err;
}

static long pinbench_ioc_write(struct pinbench_file *pf, void __user *uarg)
{
	struct pinbench_write req;
	struct pinbench_slot *slot;
	u64 t0;
	u32 i;
	int err;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.reserved)
		return -EINVAL;

	if (mutex_lock_killable(&pf->lock))
		return -EINTR;
	err = pinbench_slot_lookup(pf, req.slot, &slot);
	if (err)
		goto out_unlock;
	if (!slot->write) {
		err = -EPERM;
		goto out_unlock;
	}

	t0 = ktime_get_ns();
	for (i = 0; i < slot->nr; i++) {
		struct page *page = slot->pages[i];
		u64 v = req.pattern ^ (u64)i;
		u64 *kaddr = pinbench_kmap(page);
		size_t j;

		for (j = 0; j < PAGE_SIZE / sizeof(u64); j++)
			kaddr[j] = v;
		pinbench_kunmap(kaddr);
		pinbench_set_page_dirty_lock(page);
		if ((i & 255) == 255)
			cond_resched();
	}
	req.ns = ktime_get_ns() - t0;

	err = copy_to_user(uarg, &req, sizeof(req)) ? -EFAULT : 0;
out_unlock:
	mutex_unlock(&pf->lock);
	return err;
}

static long pinbench_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	struct pinbench_file *pf = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case PINBENCH_IOC_INFO:
		return pinbench_ioc_info(uarg);
	case PINBENCH_IOC_PIN:
		return pinbench_ioc_pin(pf, uarg);
	case PINBENCH_IOC_UNPIN:
		return pinbench_ioc_unpin(pf, uarg);
	case PINBENCH_IOC_BENCH:
		return pinbench_ioc_bench(uarg);
	case PINBENCH_IOC_PFNS:
		return pinbench_ioc_query(pf, uarg, false);
	case PINBENCH_IOC_READ:
		return pinbench_ioc_query(pf, uarg, true);
	case PINBENCH_IOC_WRITE:
		return pinbench_ioc_write(pf, uarg);
	default:
		return -ENOTTY;
	}
}

/* ------------------------------------------------------------------ */
/* File operations                                                     */
/* ------------------------------------------------------------------ */

static int pinbench_open(struct inode *inode, struct file *file)
{
	struct pinbench_file *pf;
	u32 n = max_slots;

	pf = kvzalloc(struct_size(pf, slots, n), GFP_KERNEL);
	if (!pf)
		return -ENOMEM;
	mutex_init(&pf->lock);
	pf->nslots = n;
	file->private_data = pf;
	return 0;
}

static int pinbench_release(struct inode *inode, struct file *file)
{
	struct pinbench_file *pf = file->private_data;
	u32 i;

	for (i = 0; i < pf->nslots; i++) {
		if (pf->slots[i].kind != PINBENCH_SLOT_EMPTY)
			pinbench_slot_free(&pf->slots[i], false);
		if ((i & 15) == 15)
			cond_resched();
	}
	mutex_destroy(&pf->lock);
	kvfree(pf);
	return 0;
}

static const struct file_operations pinbench_fops = {
	.owner		= THIS_MODULE,
	.open		= pinbench_open,
	.release	= pinbench_release,
	.unlocked_ioctl	= pinbench_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice pinbench_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= PINBENCH_DEVICE_NAME,
	.fops	= &pinbench_fops,
	.mode	= 0600,
};

static int __init pinbench_init(void)
{
	int err;

	max_pages = clamp_t(unsigned int, max_pages, 1, PINBENCH_MAX_PAGES_CAP);
	max_slots = clamp_t(unsigned int, max_slots, 1, PINBENCH_MAX_SLOTS_CAP);
	max_bench_iters = clamp_t(unsigned int, max_bench_iters, 1,
				  PINBENCH_MAX_ITERS_CAP);
	max_total_pages = clamp_t(unsigned long, max_total_pages, 1,
				  PINBENCH_TOTAL_PAGES_CAP);

	err = misc_register(&pinbench_misc);
	if (err) {
		pr_err("misc_register failed: %d\n", err);
		return err;
	}
	pr_info("ABI %d, max_pages=%u max_slots=%u max_bench_iters=%u max_total_pages=%lu\n",
		PINBENCH_ABI_VERSION, max_pages, max_slots, max_bench_iters,
		max_total_pages);
	return 0;
}

static void __exit pinbench_exit(void)
{
	misc_deregister(&pinbench_misc);
}

module_init(pinbench_init);
module_exit(pinbench_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("pinbench: get_user_pages/pin_user_pages benchmark harness (/dev/pinbench)");
MODULE_VERSION("1.0-abi" __stringify(PINBENCH_ABI_VERSION));
