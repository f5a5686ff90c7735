// SPDX-License-Identifier: GPL-2.0-only
/*
 * Where instances' slices go when nobody says: the parent's slice policy
 * carves its namespaces into slices of default_slice_bytes, first fit, so
 * that instances created with nothing but a UUID never overlap.  And which
 * LBAs still hold a former tenant's data (host->dirty), so that the next
 * instance given any of them scrubs its slice first (scrub.c).
 *
 * The _locked functions run under host->lock, which also protects every
 * instance's slice: the pictures of free and dirty space are stable while
 * it is held.  The policy's checks read only namespace facts, fixed since
 * probe, and the record is freed with the last reference to the host,
 * or kept past an unbind until the controller is bound again.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/wait.h>

#include "core/dirty_map.h"
#include "instance.h"

/* LBAs of one policy slice on @ns; 0 if it does not fit there. */
u64 mnv_policy_lbas(const struct mnv_namespace *ns, u64 bytes)
{
	u64 lbas = bytes >> ns->lba_shift;

	return lbas <= ns->lba_count ? lbas : 0;
}

/**
 * mnv_policy_check - could the parent carve slices of @bytes?
 * @host: controller
 * @bytes: proposed default slice size, 0 for none
 *
 * Return: 0, -EINVAL if @bytes is not a whole number of LBAs of every
 * namespace (a slice would end in the middle of a block), -ERANGE if not
 * even one slice fits in any namespace.
 */
int mnv_policy_check(struct mnv_host *host, u64 bytes)
{
	bool fits = false;
	u32 i;

	if (!bytes)
		return 0;
	for (i = 0; i < host->nr_namespaces; i++) {
		const struct mnv_namespace *ns = &host->namespaces[i];

		if (bytes & ((1ULL << ns->lba_shift) - 1))
			return -EINVAL;
		if (mnv_policy_lbas(ns, bytes))
			fits = true;
	}
	return fits ? 0 : -ERANGE;
}

/*
 * Is @lba of @ns free?  *@end receives the end of the free run starting
 * there (the next claimed slice or the end of the namespace), or of the
 * claimed slice covering it.  Slices with lba_count 0 claim nothing yet.
 */
static bool mnv_lba_free_locked(struct mnv_host *host,
				const struct mnv_namespace *ns, u64 lba,
				u64 *end)
{
	struct mnv_instance *inst;
	u64 next = ns->lba_count;

	lockdep_assert_held(&host->lock);
	list_for_each_entry(inst, &host->instances, host_node) {
		const struct mnv_slice *s = &inst->slice;

		if (s->nsid != ns->nsid || !s->lba_count)
			continue;
		if (s->lba_start <= lba && lba - s->lba_start < s->lba_count) {
			*end = s->lba_start + s->lba_count;
			return false;
		}
		if (s->lba_start > lba && s->lba_start < next)
			next = s->lba_start;
	}
	*end = next;
	return true;
}

/*
 * Slices of @lbas that fit in the free space of @ns; *@first receives
 * the start of the first of them (U64_MAX if none).
 */
static u64 mnv_ns_fit_locked(struct mnv_host *host,
			     const struct mnv_namespace *ns, u64 lbas,
			     u64 *first)
{
	u64 lba = 0, end, n = 0;

	lockdep_assert_held(&host->lock);
	*first = U64_MAX;
	while (lba < ns->lba_count) {
		if (mnv_lba_free_locked(host, ns, lba, &end) &&
		    end - lba >= lbas) {
			if (*first == U64_MAX)
				*first = lba;
			n += (end - lba) / lbas;
		}
		lba = end;
	}
	return n;
}

/* Default slices that fit in the free space of every namespace now. */
unsigned int mnv_policy_fit_locked(struct mnv_host *host)
{
	u64 lbas, first, n = 0;
	u32 i;

	lockdep_assert_held(&host->lock);
	for (i = 0; i < host->nr_namespaces; i++) {
		lbas = mnv_policy_lbas(&host->namespaces[i],
				       host->default_slice_bytes);
		if (lbas)
			n += mnv_ns_fit_locked(host, &host->namespaces[i],
					       lbas, &first);
	}
	return min_t(u64, n, UINT_MAX);
}

/**
 * mnv_slice_carve_locked - the first free default slice
 * @host: controller with a slice policy
 * @slice: receives it
 *
 * Namespaces in the order the controller lists them, lowest LBA first.
 *
 * Return: 0 or -ENOSPC.
 */
int mnv_slice_carve_locked(struct mnv_host *host, struct mnv_slice *slice)
{
	const struct mnv_namespace *ns;
	u64 lbas, first;
	u32 i;

	lockdep_assert_held(&host->lock);
	for (i = 0; i < host->nr_namespaces; i++) {
		ns = &host->namespaces[i];
		lbas = mnv_policy_lbas(ns, host->default_slice_bytes);
		if (!lbas || !mnv_ns_fit_locked(host, ns, lbas, &first))
			continue;
		slice->nsid = ns->nsid;
		slice->lba_start = first;
		slice->lba_count = lbas;
		return 0;
	}
	return -ENOSPC;
}

static bool mnv_extent_overlaps(const struct mnv_extent *e,
				const struct mnv_slice *s)
{
	return e->nsid == s->nsid && e->lba_start < s->lba_start + s->lba_count &&
	       s->lba_start < e->lba_start + e->lba_count;
}

/**
 * mnv_dirty_overlaps_locked - does @slice hold a former tenant's data?
 * @host: controller
 * @slice: the LBAs, count resolved
 * @self: UUID of the instance asking, whose own writes do not count; NULL
 *	for anyone's
 */
bool mnv_dirty_overlaps_locked(struct mnv_host *host,
			       const struct mnv_slice *slice,
			       const guid_t *self)
{
	struct mnv_extent *e;

	lockdep_assert_held(&host->lock);
	list_for_each_entry(e, &host->dirty, node)
		if (mnv_extent_overlaps(e, slice) &&
		    !(self && !guid_is_null(&e->writer) &&
		      guid_equal(&e->writer, self)))
			return true;
	return false;
}

/**
 * mnv_dirty_clear_locked - LBAs of @slice hold no former tenant's data
 * @host: controller
 * @slice: the LBAs, count resolved
 * @spare: an unused extent, taken (set to NULL) if one must be split
 *
 * Extents are disjoint, so at most one of them strictly contains @slice
 * and needs splitting; that is checked first, so that a missing @spare
 * changes nothing.
 *
 * Return: 0, or -ENOMEM if a split was needed and *@spare is NULL.
 */
int mnv_dirty_clear_locked(struct mnv_host *host,
			   const struct mnv_slice *slice,
			   struct mnv_extent **spare)
{
	u64 start = slice->lba_start, end = start + slice->lba_count;
	struct mnv_extent *e, *tmp;
	u64 e_end;

	lockdep_assert_held(&host->lock);
	list_for_each_entry(e, &host->dirty, node) {
		e_end = e->lba_start + e->lba_count;
		if (e->nsid != slice->nsid || e->lba_start >= start ||
		    e_end <= end)
			continue;
		if (!*spare)
			return -ENOMEM;
		/* The head stays in @e, the tail goes to the spare. */
		(*spare)->nsid = e->nsid;
		(*spare)->lba_start = end;
		(*spare)->lba_count = e_end - end;
		(*spare)->writer = e->writer;
		list_add(&(*spare)->node, &e->node);
		*spare = NULL;
		e->lba_count = start - e->lba_start;
		return 0;
	}
	list_for_each_entry_safe(e, tmp, &host->dirty, node) {
		if (!mnv_extent_overlaps(e, slice))
			continue;
		e_end = e->lba_start + e->lba_count;
		if (e->lba_start >= start && e_end <= end) {
			list_del(&e->node);
			kfree(e);
		} else if (e->lba_start < start) {
			e->lba_count = start - e->lba_start;
		} else {
			e->lba_start = end;
			e->lba_count = e_end - end;
		}
	}
	return 0;
}

/**
 * mnv_dirty_add_locked - @slice holds a tenant's data from now on
 * @host: controller
 * @slice: the LBAs, count resolved
 * @writer: UUID of the instance that wrote them
 * @node: an unused extent, taken (set to NULL) unless the LBAs were all
 *	dirty already
 *
 * Only an instance that wrote comes here, and it was opened: the open
 * took every extent its slice overlapped, and no other slice may
 * overlap it since.  So no other writer's range is on @slice, and none
 * must be relabelled as @writer's (the instance created again with that
 * UUID would take that data for its own); if that ever happens, the
 * slice and the ranges it overlaps are recorded as no instance's,
 * scrubbed for whichever comes.
 * LBAs that were all dirty already keep the writer they had.
 */
void mnv_dirty_add_locked(struct mnv_host *host, const struct mnv_slice *slice,
			  const guid_t *writer, struct mnv_extent **node)
{
	struct mnv_extent *e, *none = NULL;
	bool foreign = false;

	lockdep_assert_held(&host->lock);
	if (!slice->lba_count)
		return;
	list_for_each_entry(e, &host->dirty, node)
		if (mnv_extent_overlaps(e, slice) &&
		    !guid_equal(&e->writer, writer))
			foreign = true;
	/*
	 * Should it ever happen, the LBAs of both are nobody's: scrubbed
	 * for every instance, the writers' created again too.
	 */
	if (WARN_ONCE(foreign,
		      "namespace %u LBAs %llu+%llu hold another writer's data: recorded as no instance's\n",
		      slice->nsid, slice->lba_start, slice->lba_count)) {
		list_for_each_entry(e, &host->dirty, node)
			if (mnv_extent_overlaps(e, slice))
				e->writer = guid_null;
		writer = &guid_null;
	}
	list_for_each_entry(e, &host->dirty, node)
		if (e->nsid == slice->nsid && e->lba_start <= slice->lba_start &&
		    slice->lba_start + slice->lba_count <=
		    e->lba_start + e->lba_count)
			return;
	/* No extent contains the slice: clearing it splits none. */
	WARN_ON(mnv_dirty_clear_locked(host, slice, &none));
	(*node)->nsid = slice->nsid;
	(*node)->lba_start = slice->lba_start;
	(*node)->lba_count = slice->lba_count;
	guid_copy(&(*node)->writer, writer);
	list_add_tail(&(*node)->node, &host->dirty);
	*node = NULL;
}

static void mnv_extents_free(struct list_head *extents)
{
	struct mnv_extent *e, *tmp;

	list_for_each_entry_safe(e, tmp, extents, node) {
		list_del(&e->node);
		kfree(e);
	}
}

/*
 * The records of controllers unbound while LBAs they had given tenants
 * still held those tenants' data.  A controller bound again (an unbind
 * and bind, driver_override changed back, a PCI rescan) takes its record
 * back, found by serial number and model, which name the drive wherever
 * it sits: a tenant's data left on it is scrubbed as if the controller
 * had never gone.  Two drives may report the same serial number and
 * model, so a record is taken as the drive's own only if its namespaces
 * prove it (mnv_dirty_rec_ours()); a record that is maybe another
 * drive's stays kept for that drive, and the namespaces it names are
 * recorded whole instead: more LBAs are scrubbed, none is left out.  The
 * records live as long as the module; what an unload forgets, the
 * kernel log says (mnv_dirty_kept_free()).
 *
 * Each record says what its namespaces were (LBA size, size, NGUID and
 * EUI64): another driver may format or replace them meanwhile, and the
 * LBAs are then mapped onto what they are at the next probe
 * (core/dirty_map.c, mnv_dirty_map_rec()).
 *
 * A bound controller owns an empty record from probe on (host->dirty_rec),
 * so that keeping its LBAs cannot fail for want of memory.  It is kept
 * when the last reference to the controller goes (mnv_host_free()), after
 * the last instance's release, which may come after the removal.
 */
struct mnv_dirty_ns {
	u32 nsid;
	struct vnvme_ns_id id;
};

struct mnv_dirty_kept {
	struct list_head node;
	char serial[sizeof_field(struct mnv_host, serial)];
	char model[sizeof_field(struct mnv_host, model)];
	char subnqn[sizeof_field(struct mnv_host, subnqn)];
	u32 nr_namespaces;
	struct mnv_dirty_ns namespaces[MNV_MAX_NAMESPACES];
	struct list_head extents;	/* struct mnv_extent, disjoint */
};

/*
 * Protects mnv_dirty_kept_list and mnv_bound_list, so that a controller
 * leaves the one as its record joins the other.  Never held with
 * host->lock: a record moves between a controller and the list in two
 * steps.
 */
static DEFINE_MUTEX(mnv_dirty_kept_lock);
static LIST_HEAD(mnv_dirty_kept_list);
/*
 * Controllers from mnv_dirty_restore() to their last reference
 * (host->bound_node): tenants' writes on them are in no kept record yet.
 * @mnv_bound_gen counts the controllers that left it, for a probe
 * waiting on @mnv_bound_wq for its device's earlier binding to go.
 */
static LIST_HEAD(mnv_bound_list);
static unsigned long mnv_bound_gen;
static DECLARE_WAIT_QUEUE_HEAD(mnv_bound_wq);

/*
 * How long a probe waits for the last reference to its device's earlier
 * binding.  The removal waits for every VFIO user to close; what may
 * still hold a reference after it is a kobject released late (a sysfs
 * reader, CONFIG_DEBUG_KOBJECT_RELEASE's delay of a few seconds).  The
 * probe holds the device's lock meanwhile, and during a rescan the PCI
 * rescan lock: a few seconds at most.  After it, the bind fails and may
 * be tried again.
 */
#define MNV_REBIND_WAIT_MS	5000

static unsigned int mnv_extents_count(const struct list_head *extents)
{
	const struct mnv_extent *e;
	unsigned int n = 0;

	list_for_each_entry(e, extents, node)
		n++;
	return n;
}

/* Is the drive of @serial and @model the one @host drives? */
static bool mnv_same_drive(const char *serial, const char *model,
			   const struct mnv_host *host)
{
	return !strcmp(serial, host->serial) && !strcmp(model, host->model);
}

/* An identity field for the kernel log: a blank one says so. */
static const char *mnv_id_str(const char *s)
{
	return *s ? s : "(none)";
}

static void mnv_ns_id(const struct mnv_namespace *ns, struct vnvme_ns_id *id)
{
	id->nsze = ns->lba_count;
	id->lba_shift = ns->lba_shift;
	memcpy(id->nguid, ns->nguid, sizeof(id->nguid));
	memcpy(id->eui64, ns->eui64, sizeof(id->eui64));
}

/* Does @host offer namespace @nsid?  Its identity now to @id if so. */
static bool mnv_ns_now(struct mnv_host *host, u32 nsid,
		       struct vnvme_ns_id *id)
{
	const struct mnv_namespace *ns = mnv_host_namespace(host, nsid);

	if (ns)
		mnv_ns_id(ns, id);
	return ns;
}

/*
 * Add @n to @extents, keeping them disjoint: a range rescaled outward,
 * or taken from a second record, may overlap one already there.  They
 * become one range, whose writer is theirs if they had the same and
 * nobody's otherwise, so that no instance takes another tenant's data
 * for its own.
 */
static void mnv_extent_merge(struct list_head *extents, struct mnv_extent *n)
{
	struct mnv_extent *e;
	u64 end;

again:
	list_for_each_entry(e, extents, node) {
		if (e->nsid != n->nsid ||
		    e->lba_start >= n->lba_start + n->lba_count ||
		    n->lba_start >= e->lba_start + e->lba_count)
			continue;
		end = max(e->lba_start + e->lba_count,
			  n->lba_start + n->lba_count);
		n->lba_start = min(e->lba_start, n->lba_start);
		n->lba_count = end - n->lba_start;
		if (!guid_equal(&e->writer, &n->writer))
			n->writer = guid_null;
		list_del(&e->node);
		kfree(e);
		goto again;
	}
	list_add_tail(&n->node, extents);
}

/* Why the LBAs recorded for namespace @nsid mean other LBAs now. */
static void mnv_dirty_map_log(struct mnv_host *host, u32 nsid,
			      enum vnvme_ns_change change,
			      const struct vnvme_ns_id *was,
			      const struct vnvme_ns_id *now)
{
	struct device *dev = mnv_host_dev(host);

	switch (change) {
	case VNVME_NS_SAME:
		break;
	case VNVME_NS_SHRUNK:
		dev_info(dev, "namespace %u shrank from %llu to %llu LBAs while the controller was unbound: the LBAs former tenants wrote past its end stay kept until it grows back\n",
			 nsid, was->nsze, now->nsze);
		break;
	case VNVME_NS_RESCALED:
		dev_info(dev, "namespace %u was formatted from %u- to %u-byte LBAs while the controller was unbound: the LBAs former tenants wrote are rescaled to every LBA holding a byte of them (any past its end stay kept)\n",
			 nsid, 1U << was->lba_shift, 1U << now->lba_shift);
		break;
	case VNVME_NS_OTHER:
		/* Not this drive's record: mnv_dirty_rec_ours(). */
		break;
	}
}

/*
 * Map @e, a range of namespace @was, onto @now: what is on @now goes to
 * @out, what is past its end to @parked, in the terms of @was.  A range
 * straddling the end takes its second half from @spares, which
 * mnv_dirty_spares() filled for every such range.
 */
static void mnv_dirty_map_extent(const struct vnvme_ns_id *was,
				 const struct vnvme_ns_id *now,
				 struct mnv_extent *e, struct list_head *out,
				 struct list_head *parked,
				 struct list_head *spares)
{
	u64 ms = e->lba_start, mc = e->lba_count;
	u64 rs = e->lba_start, rc = e->lba_count;
	bool on = vnvme_dirty_map(was, now, &ms, &mc);
	bool past = vnvme_dirty_beyond(was, now, &rs, &rc);
	struct mnv_extent *rest = NULL;

	if (past && !on) {
		rest = e;
	} else if (past) {
		/* Counted by mnv_dirty_spares(): there is one. */
		rest = list_first_entry_or_null(spares, struct mnv_extent,
						node);
		if (!WARN_ON_ONCE(!rest)) {
			list_del(&rest->node);
			rest->nsid = e->nsid;
			rest->writer = e->writer;
		}
	}
	if (rest) {
		rest->lba_start = rs;
		rest->lba_count = rc;
		list_add_tail(&rest->node, parked);
	}
	if (on) {
		e->lba_start = ms;
		e->lba_count = mc;
		mnv_extent_merge(out, e);
	} else if (!past) {
		kfree(e);	/* empty: nothing to keep */
	}
}

/*
 * Add to @spares one range for each range of @rec that straddles the end
 * of its namespace as @host has it now: mapping then takes no memory,
 * and cannot forget the part past the end.  0, or -ENOMEM.
 */
static int mnv_dirty_spares(struct mnv_host *host,
			    const struct mnv_dirty_kept *rec,
			    struct list_head *spares)
{
	const struct mnv_extent *e;
	struct mnv_extent *spare;
	struct vnvme_ns_id now;
	u64 ms, mc, rs, rc;
	u32 i;

	for (i = 0; i < rec->nr_namespaces; i++) {
		if (!mnv_ns_now(host, rec->namespaces[i].nsid, &now))
			continue;
		list_for_each_entry(e, &rec->extents, node) {
			if (e->nsid != rec->namespaces[i].nsid)
				continue;
			ms = e->lba_start;
			mc = e->lba_count;
			rs = ms;
			rc = mc;
			if (!vnvme_dirty_map(&rec->namespaces[i].id, &now,
					     &ms, &mc) ||
			    !vnvme_dirty_beyond(&rec->namespaces[i].id, &now,
						&rs, &rc))
				continue;
			spare = kzalloc(sizeof(*spare), GFP_KERNEL);
			if (!spare)
				return -ENOMEM;
			list_add_tail(&spare->node, spares);
		}
	}
	return 0;
}

/*
 * Move the ranges of @rec, @host's own (mnv_dirty_rec_ours()), onto
 * @out, each mapped onto its namespace as @host has it now.  Those of a
 * namespace @host does not offer, or past the end of one, stay on @rec,
 * in the terms of the namespace they were written on.  @spares holds
 * what mnv_dirty_spares() took for @rec.
 */
static void mnv_dirty_map_rec(struct mnv_host *host,
			      struct mnv_dirty_kept *rec,
			      struct list_head *out, struct list_head *spares)
{
	struct mnv_extent *e, *tmp;
	enum vnvme_ns_change change;
	struct vnvme_ns_id now;
	LIST_HEAD(parked);
	unsigned int n;
	u32 i;

	for (i = 0; i < rec->nr_namespaces; i++) {
		const struct mnv_dirty_ns *was = &rec->namespaces[i];

		n = 0;
		list_for_each_entry(e, &rec->extents, node)
			n += e->nsid == was->nsid;
		if (!n)
			continue;
		if (!mnv_ns_now(host, was->nsid, &now)) {
			dev_info(mnv_host_dev(host), "namespace %u, which former tenants wrote on, is not offered now: its %u LBA range(s) stay kept until it is\n",
				 was->nsid, n);
			continue;
		}
		change = vnvme_ns_change(&was->id, &now);
		mnv_dirty_map_log(host, was->nsid, change, &was->id, &now);
		list_for_each_entry_safe(e, tmp, &rec->extents, node) {
			if (e->nsid != was->nsid)
				continue;
			list_del(&e->node);
			mnv_dirty_map_extent(&was->id, &now, e, out, &parked,
					     spares);
		}
	}
	list_splice_tail(&parked, &rec->extents);
}

/*
 * Is @rec, kept under @host's serial number and model, this drive's own
 * record?  Serial number and model are no proof: two drives may report
 * the same (blank serial numbers, a cloned identity), and a drive taking
 * another's record as its own would scrub its own LBAs and drop the
 * other's.  A namespace reporting another NGUID or EUI64 than the
 * record's tells that it is not; one still reporting the record's, that
 * it is; without either, the NVM subsystem NQN decides.
 */
static bool mnv_dirty_rec_ours(struct mnv_host *host,
			       const struct mnv_dirty_kept *rec)
{
	struct vnvme_ns_id now;
	bool proven = false;
	u32 i;

	for (i = 0; i < rec->nr_namespaces; i++) {
		if (!mnv_ns_now(host, rec->namespaces[i].nsid, &now))
			continue;
		if (vnvme_ns_change(&rec->namespaces[i].id, &now) ==
		    VNVME_NS_OTHER)
			return false;
		proven |= vnvme_ns_proven(&rec->namespaces[i].id, &now);
	}
	return proven || !strcmp(rec->subnqn, host->subnqn);
}

/*
 * Record on @out, as written by no instance, the whole of each namespace
 * of @host that @rec, a record that may be another drive's, has LBAs on:
 * @rec itself stays kept for its drive.  0, or -ENOMEM.
 */
static int mnv_dirty_whole(struct mnv_host *host,
			   const struct mnv_dirty_kept *rec,
			   struct list_head *out)
{
	struct mnv_extent *e, *whole;
	struct vnvme_ns_id now;
	bool written;
	u32 i;

	for (i = 0; i < rec->nr_namespaces; i++) {
		written = false;
		list_for_each_entry(e, &rec->extents, node)
			written |= e->nsid == rec->namespaces[i].nsid;
		if (!written ||
		    !mnv_ns_now(host, rec->namespaces[i].nsid, &now))
			continue;
		whole = kzalloc(sizeof(*whole), GFP_KERNEL);
		if (!whole)
			return -ENOMEM;
		/* kzalloc(): from LBA 0, and guid_null, nobody's. */
		whole->nsid = rec->namespaces[i].nsid;
		whole->lba_count = now.nsze;
		mnv_extent_merge(out, whole);
	}
	return 0;
}

/* The last reference to the controller goes: so does what is left. */
void mnv_dirty_free(struct mnv_host *host)
{
	mnv_extents_free(&host->dirty);
	kfree(host->dirty_rec);
}

/* Another controller of @host's drive bound, as far as a probe knows */
struct mnv_twin {
	bool same_device;	/* at @host's address: its earlier binding */
	char name[32];		/* its PCI address */
	unsigned long gen;	/* mnv_bound_gen when it was found */
};

/*
 * Another controller of @host's drive bound to the module?  Its tenants'
 * writes would not be known to @host's, nor the other way round.  What
 * the caller needs of it is copied to @twin here: once the lock is
 * dropped, its last reference may free it.  The same device is told by
 * its address: after a removal and a rescan it is another pci_dev.
 */
static bool mnv_bound_twin(struct mnv_host *host, struct mnv_twin *twin)
{
	struct pci_dev *pdev = host->pdev, *o;
	struct mnv_host *other;

	lockdep_assert_held(&mnv_dirty_kept_lock);
	list_for_each_entry(other, &mnv_bound_list, bound_node) {
		if (!mnv_same_drive(other->serial, other->model, host))
			continue;
		o = other->pdev;
		twin->same_device =
			pci_domain_nr(o->bus) == pci_domain_nr(pdev->bus) &&
			o->bus->number == pdev->bus->number &&
			o->devfn == pdev->devfn;
		strscpy(twin->name, pci_name(o), sizeof(twin->name));
		twin->gen = mnv_bound_gen;
		return true;
	}
	return false;
}

/*
 * Take mnv_dirty_kept_lock with no other controller of @host's drive
 * bound.  Its own earlier binding, whose last reference may still be
 * held (an instance released after the unbind), is waited for a while;
 * another device of the same identity is refused at once.
 */
static int mnv_bound_lock(struct mnv_host *host)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(MNV_REBIND_WAIT_MS);
	struct device *dev = mnv_host_dev(host);
	struct mnv_twin twin;
	long left;

	for (;;) {
		mutex_lock(&mnv_dirty_kept_lock);
		if (!mnv_bound_twin(host, &twin))
			return 0;
		mutex_unlock(&mnv_dirty_kept_lock);
		if (!twin.same_device) {
			dev_err(dev, "%s, bound to mdev_nvme, reports the same identity (serial %s, model %s): mdev_nvme drives one controller per serial number and model (another port of the drive, an SR-IOV VF, or drives with a blank or duplicate serial number), or tenants of each could read what those of the other wrote\n",
				twin.name, mnv_id_str(host->serial),
				mnv_id_str(host->model));
			return -EBUSY;
		}
		left = (long)(deadline - jiffies);
		if (left <= 0 ||
		    !wait_event_timeout(mnv_bound_wq,
					READ_ONCE(mnv_bound_gen) != twin.gen,
					left)) {
			dev_err(dev, "its earlier binding to mdev_nvme is still not released after %u ms: bind it again later\n",
				MNV_REBIND_WAIT_MS);
			return -EBUSY;
		}
	}
}

/**
 * mnv_dirty_restore - take back the records a controller had when unbound
 * @host: controller being probed, identified, with no instance yet
 *
 * From here on, until its last reference, @host is the one controller
 * of its drive (serial number and model) that the module drives: the
 * tenants of two controllers of one NVM subsystem (the two ports of a
 * dual-port drive) write on the same namespaces, and neither would know
 * what the other's wrote.  A probe may wait a few seconds for the last
 * reference to its device's earlier binding.
 *
 * Return: 0; -EBUSY if another controller of the drive is bound, or its
 * earlier binding not yet released; -ENOMEM.  Nothing is taken then.
 */
int mnv_dirty_restore(struct mnv_host *host)
{
	struct mnv_dirty_kept *rec, *tmp, *mine;
	unsigned int n = 0, kept = 0;
	LIST_HEAD(restored);
	LIST_HEAD(claimed);
	LIST_HEAD(spares);
	int ret;

	lockdep_assert_not_held(&host->lock);
	mine = kzalloc(sizeof(*mine), GFP_KERNEL);
	if (!mine)
		return -ENOMEM;
	INIT_LIST_HEAD(&mine->extents);

	ret = mnv_bound_lock(host);
	if (ret) {
		kfree(mine);
		return ret;
	}
	list_for_each_entry_safe(rec, tmp, &mnv_dirty_kept_list, node)
		if (mnv_same_drive(rec->serial, rec->model, host))
			list_move_tail(&rec->node, &claimed);
	list_add_tail(&host->bound_node, &mnv_bound_list);
	mutex_unlock(&mnv_dirty_kept_lock);

	/* First what takes memory: a record maybe not ours stays as it is. */
	list_for_each_entry(rec, &claimed, node) {
		if (mnv_dirty_rec_ours(host, rec)) {
			if (mnv_dirty_spares(host, rec, &spares))
				goto err_nomem;
			continue;
		}
		dev_info(mnv_host_dev(host), "%u LBA range(s) former tenants wrote were kept under this serial number and model, on namespaces that report other NGUIDs or EUI64s now, or none and another NVM subsystem NQN (%s, now %s): another drive's, or this one's namespaces made again; the record stays kept, and the namespaces it names are recorded whole as written by no instance\n",
			 mnv_extents_count(&rec->extents),
			 mnv_id_str(rec->subnqn), mnv_id_str(host->subnqn));
		if (mnv_dirty_whole(host, rec, &restored))
			goto err_nomem;
	}
	list_for_each_entry_safe(rec, tmp, &claimed, node) {
		if (!mnv_dirty_rec_ours(host, rec))
			continue;
		if (strcmp(rec->subnqn, host->subnqn))
			dev_info(mnv_host_dev(host), "a record of LBAs former tenants wrote was kept with NVM subsystem NQN %s, the controller reports %s now (firmware updated, NQN changed?): its namespaces prove it this drive's, taken back\n",
				 mnv_id_str(rec->subnqn),
				 mnv_id_str(host->subnqn));
		n += mnv_extents_count(&rec->extents);
		mnv_dirty_map_rec(host, rec, &restored, &spares);
		kept += mnv_extents_count(&rec->extents);
		if (list_empty(&rec->extents)) {
			list_del(&rec->node);
			kfree(rec);
		}
	}
	if (n)
		dev_info(mnv_host_dev(host), "%u LBA range(s) former tenants wrote before the controller was unbound: %u range(s) recorded again on the namespaces as they are now, %u kept until their namespace is offered again or grows back\n",
			 n, mnv_extents_count(&restored), kept);
	/* Ranges not on the namespaces now wait for the next bind. */
	if (!list_empty(&claimed)) {
		mutex_lock(&mnv_dirty_kept_lock);
		list_splice_tail(&claimed, &mnv_dirty_kept_list);
		mutex_unlock(&mnv_dirty_kept_lock);
	}
	mnv_extents_free(&spares);
	mutex_lock(&host->lock);
	list_splice_tail(&restored, &host->dirty);
	mutex_unlock(&host->lock);
	host->dirty_rec = mine;
	return 0;

err_nomem:
	/* Nothing taken: no record was touched yet, @host not bound. */
	mnv_extents_free(&spares);
	mnv_extents_free(&restored);
	mutex_lock(&mnv_dirty_kept_lock);
	list_splice_tail(&claimed, &mnv_dirty_kept_list);
	list_del(&host->bound_node);
	WRITE_ONCE(mnv_bound_gen, mnv_bound_gen + 1);
	mutex_unlock(&mnv_dirty_kept_lock);
	wake_up_all(&mnv_bound_wq);
	kfree(mine);
	return -ENOMEM;
}

/**
 * mnv_dirty_keep - keep a controller's record of dirty LBAs past its unbind
 * @host: controller whose last reference goes: no instance is left
 *
 * A probe that failed after mnv_dirty_restore() comes here too: what it
 * took back is kept again.
 */
void mnv_dirty_keep(struct mnv_host *host)
{
	struct mnv_dirty_kept *rec = host->dirty_rec;
	u32 i;

	/* Never restored: not on mnv_bound_list either. */
	if (!rec)
		return;
	lockdep_assert_not_held(&mnv_dirty_kept_lock);
	mutex_lock(&host->lock);
	list_splice_init(&host->dirty, &rec->extents);
	mutex_unlock(&host->lock);

	if (!list_empty(&rec->extents)) {
		strscpy(rec->serial, host->serial, sizeof(rec->serial));
		strscpy(rec->model, host->model, sizeof(rec->model));
		strscpy(rec->subnqn, host->subnqn, sizeof(rec->subnqn));
		rec->nr_namespaces = host->nr_namespaces;
		for (i = 0; i < host->nr_namespaces; i++) {
			rec->namespaces[i].nsid = host->namespaces[i].nsid;
			mnv_ns_id(&host->namespaces[i], &rec->namespaces[i].id);
		}
		dev_info(&host->pdev->dev, "keeping the record of %u LBA range(s) former tenants wrote until the controller is bound again\n",
			 mnv_extents_count(&rec->extents));
		host->dirty_rec = NULL;
	}
	/* One step: a probe of the drive finds the controller or its record. */
	mutex_lock(&mnv_dirty_kept_lock);
	list_del(&host->bound_node);
	if (!host->dirty_rec)
		list_add_tail(&rec->node, &mnv_dirty_kept_list);
	WRITE_ONCE(mnv_bound_gen, mnv_bound_gen + 1);
	mutex_unlock(&mnv_dirty_kept_lock);
	wake_up_all(&mnv_bound_wq);
}

/* Module unload: the records of unbound controllers are lost. */
void mnv_dirty_kept_free(void)
{
	struct mnv_dirty_kept *rec, *tmp;

	list_for_each_entry_safe(rec, tmp, &mnv_dirty_kept_list, node) {
		pr_warn("forgetting %u LBA range(s) former tenants wrote on %s (serial %s): clear them before the drive is used again\n",
			mnv_extents_count(&rec->extents),
			mnv_id_str(rec->model), mnv_id_str(rec->serial));
		mnv_extents_free(&rec->extents);
		list_del(&rec->node);
		kfree(rec);
	}
}
