// SPDX-License-Identifier: GPL-2.0-only
/*
 * Completion interrupts of the hardware I/O queue pairs.
 *
 * Without them the thread of an instance in interrupt or adaptive mode
 * has to look at its completion queues every few tens of microseconds
 * while commands are in flight, which adds that much to each I/O and
 * wakes the CPU for nothing on a slow drive.  With them it sleeps until
 * the controller says a completion is there.
 *
 * MSI-X vector N belongs to hardware queue N (vector 0 to the admin
 * queue, which stays polled): the pool of queue pairs is fixed at bind,
 * so the pairing is too, and an instance gets the vectors of the queues
 * it reserves.  Vectors are a resource of the whole host (the CPUs'
 * interrupt tables): the module asks for one per queue pair, at most
 * hw_vectors, and takes what it is given; the queues beyond are polled
 * as without interrupts, and the instance's hw_vectors attribute says
 * how many of its pairs have one.
 *
 * A vector is off (disable_irq()) unless its queue's owner has a handler
 * attached: between owners, and while the owner polls (poll mode, the
 * device closed, a scrub), an interrupt the controller raises is only
 * left pending by the IRQ core, which masks the vector, costing nothing.
 */
#include <linux/interrupt.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "host.h"

static unsigned int hw_vectors = MNV_MAX_HW_QPAIRS;
module_param(hw_vectors, uint, 0644);
MODULE_PARM_DESC(hw_vectors,
		 "MSI-X vectors a controller may take for its I/O queues; queues beyond are polled (read at bind)");

static irqreturn_t mnv_host_irq_handler(int irq, void *data)
{
	struct mnv_host_irq *v = data;
	void (*fn)(void *arg) = READ_ONCE(v->fn);

	if (fn)
		fn(READ_ONCE(v->arg));
	return IRQ_HANDLED;
}

/**
 * mnv_host_irqs_setup - vectors for the I/O queue pairs, at bind
 * @host: controller, its queue pool sized
 *
 * Not having vectors is not an error: the queues are polled then.
 *
 * Return: 0, or -ENOMEM.
 */
int mnv_host_irqs_setup(struct mnv_host *host)
{
	struct pci_dev *pdev = host->pdev;
	unsigned int want = min(host->nr_qpairs, READ_ONCE(hw_vectors));
	unsigned int qid;
	int nvec, ret;

	if (!want)
		return 0;
	host->irqs = kcalloc(want + 1, sizeof(*host->irqs), GFP_KERNEL);
	if (!host->irqs)
		return -ENOMEM;
	/* Vector 0 is the admin queue's; it is never requested. */
	nvec = pci_alloc_irq_vectors(pdev, 2, want + 1, PCI_IRQ_MSIX);
	if (nvec < 0) {
		dev_info(mnv_host_dev(host), "no MSI-X vectors for the I/O queues (%d): they are polled\n",
			 nvec);
		kfree(host->irqs);
		host->irqs = NULL;
		return 0;
	}
	for (qid = 1; qid < nvec; qid++) {
		struct mnv_host_irq *v = &host->irqs[qid];

		snprintf(v->name, sizeof(v->name), "mdev_nvme-%s-q%u",
			 pci_name(pdev), qid);
		/* Off until an owner attaches (mnv_host_irq_attach()). */
		ret = request_irq(pci_irq_vector(pdev, qid),
				  mnv_host_irq_handler, IRQF_NO_AUTOEN,
				  v->name, v);
		if (ret) {
			dev_info(mnv_host_dev(host), "vector of queue %u not granted (%d): queues from %u on are polled\n",
				 qid, ret, qid);
			break;
		}
		host->nr_irq_qpairs = qid;
	}
	if (!host->nr_irq_qpairs) {
		pci_free_irq_vectors(pdev);
		kfree(host->irqs);
		host->irqs = NULL;
	}
	return 0;
}

/* At unbind, once no instance is left to attach to a vector. */
void mnv_host_irqs_teardown(struct mnv_host *host)
{
	unsigned int qid;

	if (!host->irqs)
		return;
	for (qid = 1; qid <= host->nr_irq_qpairs; qid++) {
		WARN_ON_ONCE(host->irqs[qid].fn);
		free_irq(pci_irq_vector(host->pdev, qid), &host->irqs[qid]);
	}
	host->nr_irq_qpairs = 0;
	pci_free_irq_vectors(host->pdev);
	kfree(host->irqs);
	host->irqs = NULL;
}

/* Does hardware queue @qid have a vector of its own? */
bool mnv_host_qid_has_irq(const struct mnv_host *host, u16 qid)
{
	return qid && qid <= host->nr_irq_qpairs;
}

/**
 * mnv_host_irq_attach - have queue @qid's interrupt call @fn(@arg)
 * @host: controller
 * @qid: a hardware I/O queue the caller owns
 * @fn: called in hard interrupt context; must not sleep
 * @arg: its argument
 *
 * The owner detaches before @arg goes away.  Attach and detach alternate.
 *
 * Return: true, or false if the queue has no vector (it must be polled).
 */
bool mnv_host_irq_attach(struct mnv_host *host, u16 qid,
			 void (*fn)(void *arg), void *arg)
{
	struct mnv_host_irq *v;

	if (!mnv_host_qid_has_irq(host, qid))
		return false;
	v = &host->irqs[qid];
	if (WARN_ON_ONCE(v->fn))
		return false;
	WRITE_ONCE(v->arg, arg);
	WRITE_ONCE(v->fn, fn);
	/* An interrupt left pending while off is delivered now. */
	enable_irq(pci_irq_vector(host->pdev, qid));
	return true;
}

/*
 * Turn queue @qid's interrupt off again.  disable_irq() waits for a
 * handler running on another CPU: once this returns, @fn is not called
 * any more and its argument may go.  Sleeps.
 */
void mnv_host_irq_detach(struct mnv_host *host, u16 qid)
{
	struct mnv_host_irq *v;

	if (!mnv_host_qid_has_irq(host, qid))
		return;
	v = &host->irqs[qid];
	if (WARN_ON_ONCE(!v->fn))
		return;
	disable_irq(pci_irq_vector(host->pdev, qid));
	WRITE_ONCE(v->fn, NULL);
	WRITE_ONCE(v->arg, NULL);
}
