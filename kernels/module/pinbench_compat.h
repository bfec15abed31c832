/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pinbench_compat.h - every kernel-version difference pinbench.c cares about.
 *
 * pinbench.c never tests LINUX_VERSION_CODE itself: it uses the
 * PINBENCH_HAVE_* switches and pinbench_*() wrappers defined here.
 *
 * Supported: Linux 5.10 (oldest LTS with every API below) to mainline.
 * Versions are those of the mainline release that first carried the change
 * (stable backports do not move these APIs).  Sources: the mainline commits
 * named next to each switch.
 */
#ifndef _PINBENCH_COMPAT_H
#define _PINBENCH_COMPAT_H

#include <linux/version.h>
#include <linux/mm.h>
#include <linux/highmem.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 10, 0)
#error "pinbench needs Linux 5.10 or later"
#endif

/*
 * FOLL_* flags.  Plain #defines up to 6.1, members of an enum in
 * mm_types.h from 6.2 on (and renumbered then).  pinbench only ever uses
 * the names FOLL_WRITE, FOLL_FORCE (since 2.6) and FOLL_LONGTERM (since
 * 5.2, "mm/gup: replace get_user_pages_longterm() with FOLL_LONGTERM"),
 * which exist in every supported version.  An enum member cannot be tested
 * with #ifdef, so no #ifdef is used.
 */

/*
 * API availability (mainline release that first had it):
 *   get_user_pages_fast()            always
 *   pin_user_pages(), pin_user_pages_fast(), unpin_user_pages(),
 *   unpin_user_pages_dirty_lock()    5.6  ("mm/gup: introduce
 *                                          pin_user_pages*() and FOLL_PIN")
 *   pin_user_pages_unlocked()        5.7
 *   get_user_pages_fast_only()       5.8/5.9 (FOLL_FAST_ONLY rework of
 *                                          __get_user_pages_fast())
 * Everything is present from 5.10 on (the oldest kernel accepted above);
 * checked against the 6.1 and 6.12 headers, and mainline mm/gup.c still
 * exports all of them.  The switches exist so that a kernel dropping one
 * of them only needs an edit here: pinbench then answers EOPNOTSUPP for
 * that API and clears its bit in INFO's api_mask.
 */
#define PINBENCH_HAVE_PIN_FAST       1
#define PINBENCH_HAVE_PIN            1
#define PINBENCH_HAVE_PIN_UNLOCKED   1
#define PINBENCH_HAVE_GET_FAST       1
#define PINBENCH_HAVE_GET_FAST_ONLY  1

/*
 * pin_user_pages() lost its trailing `struct vm_area_struct **vmas`
 * argument in 6.5 ("mm/gup: remove vmas parameter from pin_user_pages()", Lorenzo
 * Stoakes, merged for v6.5-rc1; the 6.1 Debian headers still have the
 * argument, the 6.12 ones do not).
 */
static inline long pinbench_pin_user_pages(unsigned long start,
					   unsigned long nr_pages,
					   unsigned int gup_flags,
					   struct page **pages)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
	return pin_user_pages(start, nr_pages, gup_flags, pages);
#else
	return pin_user_pages(start, nr_pages, gup_flags, pages, NULL);
#endif
}

/*
 * pin_user_pages_unlocked() + FOLL_LONGTERM.
 * Up to 6.2, get_user_pages_unlocked() (which pin_user_pages_unlocked()
 * calls) starts with WARN_ON_ONCE(gup_flags & FOLL_LONGTERM) ("Current
 * FOLL_LONGTERM behavior is incompatible with FAULT_FLAG_ALLOW_RETRY").
 * Jason Gunthorpe's "mm/gup: remove the restriction on locked with
 * FOLL_LONGTERM" (GUP external-interface simplification series, merged for
 * v6.3) made the combination legal.  Before 6.3 pinbench rejects it with
 * EINVAL instead of letting user input hit the WARN.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
#define PINBENCH_UNLOCKED_LONGTERM_OK 1
#else
#define PINBENCH_UNLOCKED_LONGTERM_OK 0
#endif

/* mmap_read_lock()/mmap_read_unlock(): 5.8 (mmap locking API series). */
#define pinbench_mmap_read_lock(mm)   mmap_read_lock(mm)
#define pinbench_mmap_read_unlock(mm) mmap_read_unlock(mm)

/*
 * kmap_local_page()/kunmap_local(): 5.11 ("mm/highmem: Provide
 * kmap_local*").  Before that, kmap_atomic(): callers must not sleep
 * or fault between map and unmap (pinbench.c never does).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 11, 0)
#define pinbench_kmap(page)   kmap_local_page(page)
#define pinbench_kunmap(addr) kunmap_local(addr)
#else
#define pinbench_kmap(page)   kmap_atomic(page)
#define pinbench_kunmap(addr) kunmap_atomic(addr)
#endif

/*
 * set_page_dirty_lock(): exists in every supported version; since 6.14 it
 * is a wrapper around folio_mark_dirty_lock(page_folio(page)).
 */
static inline void pinbench_set_page_dirty_lock(struct page *page)
{
	set_page_dirty_lock(page);
}

#endif /* _PINBENCH_COMPAT_H */
