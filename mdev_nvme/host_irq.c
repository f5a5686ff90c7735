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
 * A vector is requested only while its queue's owner waits on it (an
 * instance in interrupt or adaptive mode, open), so that a host vector
 * table is used by the tenants that sleep on interrupts and not by every
 * queue of every bound controller; its interrupt is aimed at the owner's
 * CPU, so that one tenant's completions do not interrupt another's
 * pinned CPU.  Unrequested, the vector stays masked (MSI-X entries are
 * masked when MSI-X is enabled): poll mode, a closed device and the
 * scrub take no interrupt.
 */
#include <linux/cpumask.h>
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

	v->fn(v->arg);
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
	int nvec;

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
	for (qid = 1; qid < nvec; qid++)
		snprintf(host->irqs[qid].name, sizeof(host->irqs[qid].name),
			 "mdev_nvme-%s-q%u", pci_name(pdev), qid);
	host->nr_irq_qpairs = nvec - 1;
	return 0;
}

/* At unbind, once no instance is left to hold a vector. */
void mnv_host_irqs_teardown(struct mnv_host *host)
{
	unsigned int qid;

	if (!host->irqs)
		return;
	for (qid = 1; qid <= host->nr_irq_qpairs; qid++)
		WARN_ON_ONCE(host->irqs[qid].fn);
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
 * @cpu: the CPU to take the interrupt on, or -1 for any
 *
 * The owner detaches before @arg goes away.  Sleeps.
 *
 * Return: 0, -ENOENT if the queue has no vector (it must be polled), or
 * the error of request_irq() (the host's vectors are all in use).
 */
int mnv_host_irq_attach(struct mnv_host *host, u16 qid,
			void (*fn)(void *arg), void *arg, int cpu)
{
	struct mnv_host_irq *v;
	unsigned int irq;
	int ret;

	if (!mnv_host_qid_has_irq(host, qid))
		return -ENOENT;
	v = &host->irqs[qid];
	if (WARN_ON_ONCE(v->fn))
		return -EBUSY;
	irq = pci_irq_vector(host->pdev, qid);
	/* Set first: an interrupt left pending comes as soon as requested. */
	v->fn = fn;
	v->arg = arg;
	ret = request_irq(irq, mnv_host_irq_handler, 0, v->name, v);
	if (ret) {
		v->fn = NULL;
		v->arg = NULL;
		return ret;
	}
	/* Best effort: without it the interrupt goes where the host puts it. */
	if (cpu >= 0 && cpu_online(cpu))
		irq_set_affinity(irq, cpumask_of(cpu));
	return 0;
}

/*
 * Give queue @qid's vector back.  free_irq() waits for a handler running
 * on another CPU: once this returns, @fn is not called any more and its
 * argument may go.  Sleeps.
 */
void mnv_host_irq_detach(struct mnv_host *host, u16 qid)
{
	struct mnv_host_irq *v;

	if (!mnv_host_qid_has_irq(host, qid))
		return;
	v = &host->irqs[qid];
	if (WARN_ON_ONCE(!v->fn))
		return;
	free_irq(pci_irq_vector(host->pdev, qid), v);
	v->fn = NULL;
	v->arg = NULL;
}
