#!/usr/bin/perl
# SPDX-License-Identifier: GPL-2.0-only
#
# What the module's comments say of its locks is checked where it runs:
#
#  - a function whose comment says its caller holds a lock ("caller holds
#    X", "X held") asserts it with lockdep_assert_held(); one whose caller
#    must not hold it ("caller does not hold X", "holds neither X")
#    asserts lockdep_assert_not_held(); "called with the mm's mmap lock
#    held" is mmap_assert_locked();
#  - a function named *_locked asserts the lock it expects;
#  - the prototypes a header lists "all under X" (or "under X but for the
#    last N", "the _locked ones under X") assert X, and so do those of
#    vctrl.h but for the ones its opening comment excepts;
#  - the core's environment callbacks (struct vnvme_env_ops in vctrl.c),
#    which the core calls with inst->lock held, assert it or pass their
#    work to a function that does.
#
# An assertion given only the I/O state reaches the lock through
# mnv_io_inst(io); "host->" also matches "inst->host->".
#
# Usage: locking.t [ROOT]  (ROOT holds mdev_nvme/; default: this
# checkout).  Without ROOT it also proves that it fails: it runs itself on
# a copy with one assertion taken out for each rule.
use strict;
use warnings;
use File::Basename qw(dirname basename);
use File::Copy qw(copy);
use File::Path qw(make_path);
use File::Temp qw(tempdir);
use Cwd qw(abs_path);
use Test::More;

my $self = abs_path($0);
my $root = $ARGV[0] // abs_path(dirname($self) . '/../..');
my $src = "$root/mdev_nvme";

# Functions of a header's "all under X" group that cannot reach X: the
# lock is the caller's, the function reads only what it is given.
my %NO_LOCK_ARG = (
	mnv_io_page_dma => 'reads only the pinned page it is given',
);

sub slurp {
	my ($path) = @_;
	open(my $fh, '<', $path) or die "cannot read $path: $!\n";
	local $/;
	return <$fh>;
}

# Top-level function definitions: name, the comment right above it (one
# blank line or none between) and the body.
sub functions {
	my ($t) = @_;
	my @f;
	while ($t =~ m{((?:/\*(?:(?!\*/).)*\*/\n)?)^([A-Za-z_][^;{}()=\n]*?)\b([A-Za-z_]\w*)\(([^;{}]*?)\)\s*(?:__\w+\([^)]*\)\s*)*\n\{}msg) {
		my ($comment, $name) = ($1, $3);
		my $start = pos($t) - 1;
		my ($depth, $i) = (0, $start);
		for (; $i < length($t); $i++) {
			my $ch = substr($t, $i, 1);
			$depth++ if $ch eq '{';
			last if $ch eq '}' && --$depth == 0;
		}
		push @f, { name => $name, comment => $comment,
			   body => substr($t, $start, $i - $start + 1) };
		pos($t) = $i + 1;
	}
	return @f;
}

# A lock as the comments name it, in one spelling: "host->lock".
sub norm {
	my ($l) = @_;
	$l =~ s/^&//;
	$l =~ s/mnv_io_inst\(\w+\)/inst/;
	$l =~ s/^inst->host->/host->/;
	return $l;
}

# The locks a body asserts held (or not held, with $not).
sub asserted {
	my ($body, $not) = @_;
	my $re = $not ? qr/lockdep_assert_not_held\(([^;]*)\);/ :
			qr/lockdep_assert_held\(([^;]*)\);/;
	my %a;
	$a{ norm($1) } = 1 while $body =~ /$re/g;
	$a{mmap} = 1 if !$not && $body =~ /mmap_assert(?:_write)?_locked\(/;
	return \%a;
}

my (%fn, @offences_said, @offences_locked);
my @cfiles = map { basename($_) } sort glob("$src/*.c");
for my $file (@cfiles) {
	for my $f (functions(slurp("$src/$file"))) {
		$f->{file} = $file;
		$fn{ $f->{name} } = $f;
		my $c = $f->{comment};
		$c =~ s/\n\s*\*\s*/ /g;
		my (@held, @free);
		push @held, $1 while $c =~ /[Cc]aller holds ([\w>-]*lock)\b/g;
		push @held, $1, $2 while $c =~ /\bholds ([\w>-]*lock) and ([\w>-]*lock)\b/g;
		push @held, $1 while $c =~ /(?<![Cc]aller does not hold )\b([\w-]+->\w*lock) held\b/g;
		push @held, 'mmap' if $c =~ /[Cc]alled with the mm's mmap lock held/;
		push @free, $1 while $c =~ /[Cc]aller does not hold ([\w>-]*lock)\b/g;
		push @free, $1 while $c =~ /holds neither ([\w>-]*lock)\b/g;
		my ($h, $n) = (asserted($f->{body}), asserted($f->{body}, 1));
		for my $l (@held) {
			my $what = $l eq 'mmap' ? "the mm's mmap lock" : $l;
			push @offences_said, "$file: $f->{name}() says $what is held but does not assert it"
				unless $h->{ norm($l) };
		}
		for my $l (@free) {
			push @offences_said, "$file: $f->{name}() says $l is not held but does not assert it"
				unless $n->{ norm($l) };
		}
		push @offences_locked, "$file: $f->{name}() asserts no lock"
			if $f->{name} =~ /_locked$/ && !%$h;
	}
}
ok(scalar(keys %fn) > 100, 'the module\'s functions are found') or
	diag('found ' . scalar(keys %fn) . " under $src");
ok(!@offences_said, 'every function whose comment says a lock is (not) held asserts it');
diag($_) for @offences_said;
ok(!@offences_locked, 'every *_locked function asserts its lock');
diag($_) for @offences_locked;

# Header groups: "/* file.c: ... under X ... */" and the prototypes after.
my (@offences_group, $groups);
for my $h (sort glob("$src/*.h")) {
	my $t = slurp($h);
	my $hname = basename($h);
	while ($t =~ m{^/\* (\w+\.c): ([^\n]*?) \*/\n((?:[^\n]+\n)*)}mg) {
		my ($file, $what, $protos) = ($1, $2, $3);
		next unless $what =~ /\bunder ([\w>-]*lock)\b/;
		my $lock = $1;
		my @names = $protos =~ /^[a-z][^\n(]*?\b(mnv_\w+)\(/mg;
		if ($what =~ /but for the last (\w+)/) {
			my %n = (one => 1, two => 2, three => 3);
			splice(@names, -($n{$1} // $1));
		}
		@names = grep { /_locked$/ } @names if $what =~ /the _locked ones/;
		$groups++;
		for my $name (@names) {
			next if $NO_LOCK_ARG{$name};
			my $f = $fn{$name};
			push @offences_group, "$hname ($file): $name() is not defined" and next unless $f;
			push @offences_group, "$hname ($file): $name() does not assert $lock"
				unless asserted($f->{body})->{ norm($lock) };
		}
	}
	# vctrl.h: "Callers hold X (asserted) but for f(), g() ..."
	if ($t =~ m{\A(?:[^\n]*\n)*?/\*\n((?: \*[^\n]*\n)*?) \*/}) {
		my $c = $1 =~ s/\n \*\s*/ /gr;
		next unless $c =~ /Callers hold ([\w>-]*lock) \(asserted\) but for (.*?)\.\s/;
		my ($lock, $but) = ($1, $2);
		my %except = map { $_ => 1 } $but =~ /\b(mnv_\w+)\(\)/g;
		my ($head) = $t =~ /^(.*?)\n\n\/\*[^\n]*: /s;
		$groups++;
		for my $name ($head =~ /^[a-z][^\n(]*?\b(mnv_\w+)\(/mg) {
			next if $except{$name};
			my $f = $fn{$name};
			push @offences_group, "$hname: $name() is not defined" and next unless $f;
			push @offences_group, "$hname: $name() does not assert $lock"
				unless asserted($f->{body})->{ norm($lock) };
		}
	}
}
ok($groups, 'the headers\' groups of functions under a lock are found');
ok(!@offences_group, 'every function a header lists under a lock asserts it');
diag($_) for @offences_group;

# The env ops: the core calls them with the controller's lock held.
my @offences_env;
{
	my $t = slurp("$src/vctrl.c");
	my ($table) = $t =~ /struct\s+vnvme_env_ops\s+\w+\s*=\s*\{([^}]*)\}/s;
	my @ops = $table ? $table =~ /=\s*(\w+)\s*,/g : ();
	ok(scalar(@ops), 'the env ops table is found');
	for my $op (@ops) {
		my $f = $fn{$op};
		push @offences_env, "$op() is not defined" and next unless $f;
		next if asserted($f->{body})->{'inst->lock'};
		my @callees = grep { $fn{$_} } $f->{body} =~ /\b(mnv_\w+)\(/g;
		next if @callees &&
			!grep { !asserted($fn{$_}{body})->{'inst->lock'} } @callees;
		push @offences_env, "$op() asserts inst->lock neither itself nor through what it calls";
	}
}
ok(!@offences_env, 'every env op asserts inst->lock, itself or through its callee');
diag($_) for @offences_env;

# The check fails when it should: one assertion out per rule.
if (!@ARGV) {
	my $tmp = tempdir(CLEANUP => 1);
	make_path("$tmp/mdev_nvme");
	copy($_, "$tmp/mdev_nvme/" . basename($_)) or die "copy $_: $!\n"
		for glob("$src/*.[ch]");
	my %drop = (
		'io_cmd.c' => 'mnv_io_cmd_prepare',		# "caller holds"
		'host_admin.c' => 'mnv_host_check_gone',	# "does not hold"
		'slice.c' => 'mnv_dirty_add_locked',		# *_locked, group
		'io_queue.c' => 'mnv_io_reset',			# "all under"
		'vctrl.c' => 'mnv_env_irq_raise',		# env op
	);
	for my $file (sort keys %drop) {
		my $p = "$tmp/mdev_nvme/$file";
		my $t = slurp($p);
		$t =~ s/(\b\Q$drop{$file}\E\([^;{]*\)\s*\{.*?)\n\s*(?:\/\*[^\n]*\*\/\n\s*)?lockdep_assert_(?:not_)?held\([^;]*\);/$1/s
			or die "no assertion in $drop{$file}() of $file\n";
		open(my $fh, '>', $p) or die "$p: $!\n";
		print $fh $t;
		close($fh);
	}
	my $out = qx{"$^X" "$self" "$tmp" 2>&1};
	ok(($? >> 8) != 0, 'with assertions taken out the check fails') or diag($out);
	for my $want ('every function whose comment says',
		      'every *_locked function',
		      'every function a header lists',
		      'every env op asserts') {
		ok($out =~ /^not ok \d+ - \Q$want\E/m, "an assertion taken out fails: $want") or diag($out);
	}
	for my $name (values %drop) {
		ok($out =~ /^# .*\b\Q$name\E\(\)/m, "the offence names $name()") or diag($out);
	}
}

done_testing();
