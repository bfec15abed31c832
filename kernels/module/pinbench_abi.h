/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * pinbench_abi.h - the one and only definition of the /dev/pinbench ioctl ABI.
 *
 * Shared by the kernel module (pinbench.c) and mirrored field for field by
 * workloads/src/abi.rs, whose layout test compiles a C program against this
 * header and compares every size and offset.
 *
 * Rules:
 *  - Structs hold only __u64 and __u32 fields, explicitly padded, so the
 *    layout is identical for every compiler and for 32/64-bit user space.
 *  - User space never passes raw FOLL_* values: it passes PINBENCH_F_* bits,
 *    which the module translates to the running kernel's FOLL_* names at
 *    compile time (FOLL_* were renumbered in 6.2).
 *  - A validation failure of the request itself makes the ioctl return -1
 *    with errno set (see the errno table below).  Whatever the kernel's
 *    pinning call itself answered (a partial count, or an error such as
 *    EFAULT/EPERM/ENOMEM) is a *result*: the ioctl returns 0 and the answer
 *    is in the `pinned` / `error` fields.
 *  - Reserved and padding fields must be zero on input (else EINVAL), so they
 *    can be given meaning later without an ABI version bump.
 *
 * Errno table for ioctl(2) itself:
 *   EINVAL      unknown API, unknown flag bits, non-zero reserved field,
 *               sum_ptr != 0 for PFNS, or a flag combination the API does
 *               not take (the kernel would WARN): PINBENCH_F_LONGTERM with
 *               a GET API (every kernel), PINBENCH_F_LONGTERM with
 *               PIN_UNLOCKED on kernels before 6.3
 *               (an unknown ioctl number gets ENOTTY, as everywhere)
 *   ERANGE      nr_pages == 0, iterations == 0 or over max_bench_iters,
 *               output array capacity (nr) smaller than the slot
 *   E2BIG       nr_pages > max_pages (module parameter)
 *   EOVERFLOW   addr + nr_pages * PAGE_SIZE wraps around
 *   EDOM        addr not page aligned
 *   EADDRNOTAVAIL  range not entirely in user space (access_ok fails)
 *   EBADSLT     slot id out of range (>= max_slots)
 *   ENOENT      slot id in range but holds nothing (e.g. double unpin)
 *   ENOSPC      every slot of this open file is in use
 *   EFAULT      a user pointer (the argument or an output array) is bad
 *   EOPNOTSUPP  the API exists in the ABI but not on this kernel
 *   EPERM       WRITE, or UNPIN with PINBENCH_UNPIN_DIRTY, on a slot that
 *               was not pinned with PINBENCH_F_WRITE (a device write through
 *               a read pin could hit the shared zero page or page cache
 *               that the process cannot write)
 *   EDQUOT      the module-wide budget of held pages would be exceeded
 *               (module parameter max_total_pages: the slots of all open
 *               files plus running BENCHes together)
 *   ENOMEM      the module could not allocate its own bookkeeping
 *   EINTR       a fatal signal arrived while waiting for the file's lock
 */
#ifndef _PINBENCH_ABI_H
#define _PINBENCH_ABI_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define PINBENCH_ABI_VERSION 1
#define PINBENCH_DEVICE_NAME "pinbench"
#define PINBENCH_IOC_MAGIC 0xB7

/* Pinning APIs (pinbench_pin.api, pinbench_bench.api). */
#define PINBENCH_API_PIN_FAST       0u /* pin_user_pages_fast() */
#define PINBENCH_API_PIN            1u /* pin_user_pages() under mmap_read_lock */
#define PINBENCH_API_PIN_UNLOCKED   2u /* pin_user_pages_unlocked() */
#define PINBENCH_API_GET_FAST       3u /* get_user_pages_fast() (FOLL_GET, released with put_page) */
#define PINBENCH_API_GET_FAST_ONLY  4u /* get_user_pages_fast_only(): lockless walk only, never faults */
#define PINBENCH_API_COUNT          5u

/* Pin flags: pinbench's own bits, translated to FOLL_* inside the module. */
#define PINBENCH_F_WRITE     (1u << 0) /* FOLL_WRITE */
#define PINBENCH_F_LONGTERM  (1u << 1) /* FOLL_LONGTERM */
#define PINBENCH_F_FORCE     (1u << 2) /* FOLL_FORCE */
#define PINBENCH_F_ALL       (PINBENCH_F_WRITE | PINBENCH_F_LONGTERM | PINBENCH_F_FORCE)

/* Unpin flags. */
#define PINBENCH_UNPIN_DIRTY (1u << 0) /* mark pages dirty on release */
#define PINBENCH_UNPIN_ALL   (PINBENCH_UNPIN_DIRTY)

/* `slot` value meaning "no slot" (nothing was held). */
#define PINBENCH_NO_SLOT     0xffffffffu

/* Length of the kernel release string in pinbench_info. */
#define PINBENCH_RELEASE_LEN 64

/*
 * INFO: what this module and kernel offer.  Output only.
 */
struct pinbench_info {
	__u32 abi_version;     /* PINBENCH_ABI_VERSION of the module */
	__u32 page_size;       /* PAGE_SIZE */
	__u32 max_pages;       /* module parameter: largest nr_pages accepted */
	__u32 max_slots;       /* slots per open file */
	__u32 max_bench_iters; /* largest pinbench_bench.iterations */
	__u32 api_mask;        /* bit (1 << PINBENCH_API_x) set: available here */
	__u32 flag_mask;       /* PINBENCH_F_* bits accepted */
	__u32 kernel_version;  /* LINUX_VERSION_CODE the module was built for */
	__u64 inject_ns;       /* module parameter: busy delay added to each timed pin */
	__u64 release[PINBENCH_RELEASE_LEN / 8]; /* utsname()->release, NUL-terminated bytes */
};

/*
 * PIN: pin nr_pages at addr with api and flags, hold them in a slot of this
 * open file.
 */
struct pinbench_pin {
	/* in */
	__u64 addr;      /* page aligned user address */
	__u32 nr_pages;  /* 1..max_pages */
	__u32 api;       /* PINBENCH_API_* */
	__u32 flags;     /* PINBENCH_F_* */
	__u32 reserved;  /* must be 0 */
	/* out */
	__u32 slot;      /* slot holding the pages, PINBENCH_NO_SLOT if none */
	__u32 pinned;    /* pages actually pinned (may be < nr_pages) */
	__u32 error;     /* positive errno the pinning call returned, else 0 */
	__u32 pad;       /* must be 0 */
	__u64 ns;        /* ns spent in the pinning call (incl. inject_ns) */
};

/*
 * UNPIN: release a slot (unpin_user_pages*() for PIN APIs, put_page() for
 * GET APIs).
 */
struct pinbench_unpin {
	/* in */
	__u32 slot;
	__u32 flags;     /* PINBENCH_UNPIN_* */
	/* out */
	__u32 released;  /* pages released */
	__u32 pad;       /* must be 0 */
	__u64 ns;        /* ns spent releasing */
};

/*
 * BENCH: an in-kernel loop.  One cold iteration {pin, unpin} whose times go
 * to cold_pin_ns/cold_unpin_ns, then `iterations` timed iterations whose
 * times go to the user arrays pin_ns_ptr[i] / unpin_ns_ptr[i] (__u64 each).
 * A pin that fails stops the loop: `completed` tells how many of the timed
 * iterations finished, `error` why it stopped.
 */
struct pinbench_bench {
	/* in */
	__u64 addr;
	__u32 nr_pages;
	__u32 api;
	__u32 flags;
	__u32 iterations;    /* 1..max_bench_iters */
	__u64 pin_ns_ptr;    /* user __u64[iterations] */
	__u64 unpin_ns_ptr;  /* user __u64[iterations] */
	/* out */
	__u64 cold_pin_ns;
	__u64 cold_unpin_ns;
	__u32 cold_pinned;   /* pages pinned by the cold iteration */
	__u32 min_pinned;    /* fewest pages pinned by any timed iteration */
	__u32 completed;     /* timed iterations completed */
	__u32 error;         /* positive errno that stopped the loop, else 0 */
};

/*
 * PFNS / READ: per held page of `slot`, write one __u64 to out_ptr[i]:
 *   PFNS: the page frame number.
 *   READ: the first 8 bytes of the page as seen through the pin (what a
 *         device reading the page would see); if sum_ptr != 0 also a
 *         checksum of the whole page (FNV-1a 64 over PAGE_SIZE bytes) into
 *         sum_ptr[i].
 * `nr` is the capacity of the arrays in entries (ERANGE if smaller than the
 * slot); on return it is the number of entries written.
 */
struct pinbench_slot_query {
	__u32 slot;
	__u32 nr;
	__u64 out_ptr;
	__u64 sum_ptr;   /* READ only; must be 0 for PFNS */
};

/*
 * WRITE: write into every held page of `slot` through the pin, as a device
 * DMA would: the 8-byte `pattern` ^ page index, repeated over the page.
 * Only on slots pinned with PINBENCH_F_WRITE (else EPERM).
 */
struct pinbench_write {
	__u32 slot;
	__u32 reserved;  /* must be 0 */
	__u64 pattern;
	/* out */
	__u64 ns;        /* ns spent writing */
};

#define PINBENCH_IOC_INFO   _IOR(PINBENCH_IOC_MAGIC, 0x00, struct pinbench_info)
#define PINBENCH_IOC_PIN    _IOWR(PINBENCH_IOC_MAGIC, 0x01, struct pinbench_pin)
#define PINBENCH_IOC_UNPIN  _IOWR(PINBENCH_IOC_MAGIC, 0x02, struct pinbench_unpin)
#define PINBENCH_IOC_BENCH  _IOWR(PINBENCH_IOC_MAGIC, 0x03, struct pinbench_bench)
#define PINBENCH_IOC_PFNS   _IOWR(PINBENCH_IOC_MAGIC, 0x04, struct pinbench_slot_query)
#define PINBENCH_IOC_READ   _IOWR(PINBENCH_IOC_MAGIC, 0x05, struct pinbench_slot_query)
#define PINBENCH_IOC_WRITE  _IOWR(PINBENCH_IOC_MAGIC, 0x06, struct pinbench_write)

#endif /* _PINBENCH_ABI_H */
