#!/usr/bin/perl
# SPDX-License-Identifier: GPL-2.0-only
#
# The layers of Documentation/design.rst, checked on the module's sources:
#
#   vfio_dev.c -> vctrl*.c -> { core/, io_*.c } -> host_*.c
#
# A layer calls only the layers below it, and vfio_dev.c reaches the core
# and the I/O path only through vctrl*.c (vctrl.c, and vctrl_thread.c,
# the polling thread that drives the I/O path).  The core includes no kernel
# header (vnvme_types.h is its one shim) and calls nothing of the module:
# its environment is struct vnvme_env_ops, whose functions never call back
# into the core, however deep.  instance*.c, mdev_types.c, slice.c,
# scrub.c and main.c (life cycle, policy) are not part of this chain.
#
# A layer's functions are the non-static functions its files define; the
# core's entry points are those that take a struct vnvme_ctrl.  Its pure
# helpers, such as the static inline ones of vnvme.h, act on no
# controller (checked here) and may be used by anyone.  The I/O path may
# call one entry point, the I/O command check (%IO_MAY_CALL), on the
# condition checked here that it changes nothing of the controller.
# Calls are found in the function bodies with comments and strings
# stripped.
#
# Usage: layering.t [ROOT]  (ROOT holds mdev_nvme/ and Documentation/;
# default: this checkout).  Without ROOT it also proves that it fails: it
# runs itself on a copy with an upward call injected for each rule.
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

# Violations the code has today, each a rule it breaks, "file callee"
# (none left since issue #10).  They are reported as TODO; one that is no
# longer found fails the last test, so that the list is only ever cut.
my %KNOWN = map { $_ => 1 } (
);

# The core's entry points the I/O path may call.  vnvme_io_check() checks
# a guest I/O command and rebuilds it for the hardware: it is the core's
# so that admin and I/O commands share one PRP walk and the check that
# guards the hardware is unit-tested and fuzzed like the rest of the core
# (issue #10), and the I/O path runs it once per command, deep in its
# submission loop, where the glue cannot.  It reads the controller's
# parameters and features and changes nothing of the controller: no
# function it reaches in core/ assigns to a member of a struct vnvme_ctrl
# (checked below).  What it does write is the controller's PRP list
# buffer, through the env's io_read (or dma_read): scratch space that
# each PRP walk fills before reading it.
my %IO_MAY_CALL = (vnvme_io_check => 1);
my %known_seen;

my %KEYWORDS = map { $_ => 1 } qw(if for while switch return sizeof
	typeof __typeof__ defined case do else goto _Static_assert
	static_assert __attribute__ offsetof alignof _Alignof);

sub slurp {
	my ($path) = @_;
	open(my $fh, '<', $path) or die "cannot read $path: $!\n";
	local $/;
	return <$fh>;
}

# Comments out, line count kept: what the preprocessor sees of includes.
sub strip_comments {
	my ($t) = @_;
	$t =~ s{/\*.*?\*/}{my $c = $&; $c =~ tr/\n//cd; $c}gse;
	$t =~ s{//[^\n]*}{}g;
	return $t;
}

# Comments, strings and character constants out; line count kept.
sub strip {
	my ($t) = @_;
	$t =~ s{/\*.*?\*/}{my $c = $&; $c =~ tr/\n//cd; $c}gse;
	$t =~ s{//[^\n]*}{}g;
	$t =~ s{"(?:\\.|[^"\\\n])*"}{""}g;
	$t =~ s{'(?:\\.|[^'\\\n])*'}{''}g;
	return $t;
}

# Top-level function definitions of C text: name, static?, parameter
# text and body.  Preprocessor lines are dropped first.
sub functions {
	my ($t) = @_;
	my @f;
	$t =~ s/^[ \t]*#(?:[^\n]*\\\n)*[^\n]*//mg;
	while ($t =~ /^([A-Za-z_][^;{}()=]*?)\b([A-Za-z_]\w*)\s*\(([^;{}]*?)\)\s*(?:__\w+\([^)]*\)\s*)*\{/mg) {
		my ($pre, $name, $params) = ($1, $2, $3);
		my $start = pos($t) - 1;
		my ($depth, $i) = (0, $start);
		for (; $i < length($t); $i++) {
			my $ch = substr($t, $i, 1);
			$depth++ if $ch eq '{';
			last if $ch eq '}' && --$depth == 0;
		}
		push @f, { name => $name, static => ($pre =~ /\bstatic\b/ ? 1 : 0),
			   params => $params, body => substr($t, $start, $i - $start + 1) };
		pos($t) = $i + 1;
	}
	return @f;
}

# Names called in a body: an identifier and "(", not a member's pointer.
sub calls {
	my ($body) = @_;
	my %c;
	while ($body =~ /(->|\.)?\s*\b([A-Za-z_]\w*)\s*\(/g) {
		next if defined $1 || $KEYWORDS{$2};
		$c{$2} = 1;
	}
	return sort keys %c;
}

sub layer_of {
	my ($rel) = @_;
	return 'core' if $rel =~ m{^core/};
	return 'vfio' if $rel eq 'vfio_dev.c';
	return 'vctrl' if $rel =~ /^vctrl(?:_\w+)?\.c$/;
	return 'io' if $rel =~ /^io_\w+\.c$/;
	return 'host' if $rel =~ /^host_\w+\.c$/;
	return 'other';
}

my (%file_funcs, %global, %static_in, %layer_api, %entry);
# The module's sources, not what kbuild generates next to them.
my @cfiles = grep { !/\.mod\.c$/ } map { my $p = $_; $p =~ s{^\Q$src\E/}{}; $p }
	(sort(glob("$src/*.c")), sort(glob("$src/core/*.c")));
die "no sources under $src\n" unless @cfiles;
for my $rel (@cfiles) {
	my @f = functions(strip(slurp("$src/$rel")));
	$file_funcs{$rel} = \@f;
	my $layer = layer_of($rel);
	for my $fn (@f) {
		if ($fn->{static}) {
			$static_in{$rel}{$fn->{name}} = $fn;
			next;
		}
		$global{$fn->{name}} = { file => $rel, fn => $fn };
		$layer_api{$layer}{$fn->{name}} = 1;
		$entry{$fn->{name}} = 1
			if $layer eq 'core' && $fn->{params} =~ /\bstruct\s+vnvme_ctrl\s*\*/;
	}
}

# Every call from a file of layer $from to a function of %$forbidden.
sub offences {
	my ($from, $forbidden) = @_;
	my @off;
	for my $rel (grep { layer_of($_) eq $from } @cfiles) {
		my %seen;
		for my $fn (@{ $file_funcs{$rel} }) {
			for my $callee (calls($fn->{body})) {
				next unless $forbidden->{$callee} && !$seen{$callee}++;
				push @off, [ $rel, $callee, "$rel: $fn->{name}() calls $callee()" ];
			}
		}
	}
	return @off;
}

# One test per rule: pass with no offence, TODO when each is known.
sub rule {
	my ($name, @off) = @_;
	my @new = grep { !$KNOWN{"$_->[0] $_->[1]"} } @off;
	$known_seen{"$_->[0] $_->[1]"} = 1 for @off;
	if (@off && !@new) {
		TODO: {
			local $TODO = 'known violations, issue #10';
			ok(0, $name);
		}
	} else {
		ok(!@off, $name);
	}
	diag(($KNOWN{"$_->[0] $_->[1]"} ? 'known: ' : '') . $_->[2]) for @off;
}

my %up_from_io = (%{ $layer_api{vctrl} // {} }, %{ $layer_api{vfio} // {} });
rule('the I/O path calls neither vctrl*.c nor vfio_dev.c', offences('io', \%up_from_io));
my %entry_for_io = map { $_ => 1 } grep { !$IO_MAY_CALL{$_} } keys %entry;
rule("the I/O path calls none of the core's entry points but the I/O command check",
     offences('io', \%entry_for_io));

# The function @name means when called from @file (its own static one
# first), and the file that defines it; () if the module has none.
sub resolve {
	my ($file, $name) = @_;
	return ($static_in{$file}{$name}, $file) if $static_in{$file}{$name};
	return ($global{$name}{fn}, $global{$name}{file}) if $global{$name};
	return ();
}

# What the I/O path may call of the core changes no controller state: no
# function reached from it in core/ (called, or passed as a callback)
# assigns to, increments or clears a member of its struct vnvme_ctrl.
{
	my (@writes, %visited);
	my @todo = map { [ $global{$_}{file}, $_ ] } grep { $global{$_} } sort keys %IO_MAY_CALL;
	ok(@todo == keys %IO_MAY_CALL, 'the core entry points the I/O path may call exist')
		or diag('missing: ' . join(' ', grep { !$global{$_} } sort keys %IO_MAY_CALL));
	while (my $item = shift @todo) {
		my ($file, $name) = @$item;
		next if $visited{"$file $name"}++;
		my ($fn, $in) = resolve($file, $name);
		next unless $fn;
		next unless layer_of($in) eq 'core';
		my @ctrl = $fn->{params} =~ /\bstruct\s+vnvme_ctrl\s*\*\s*(\w+)/g;
		for my $c (@ctrl) {
			my $lhs = qr/\b\Q$c\E->(?:\w+|\.|->|\[[^\]]*\])*/;
			push @writes, "$in: $name() changes $c->"
				if $fn->{body} =~ /$lhs\s*(?:[-+*\/%|&^]|<<|>>)?=(?!=)/ ||
				   $fn->{body} =~ /$lhs\s*(?:\+\+|--)/ ||
				   $fn->{body} =~ /(?:\+\+|--)\s*$lhs/ ||
				   $fn->{body} =~ /\b(?:memset|memcpy|memmove)\s*\(\s*&?\s*\Q$c\E->/;
		}
		# Callbacks count: a walker is handed the function that does the work.
		while ($fn->{body} =~ /\b([A-Za-z_]\w*)\b/g) {
			my $id = $1;
			push @todo, [ $in, $id ] if $static_in{$in}{$id} || $global{$id};
		}
	}
	ok(!@writes, 'the I/O command check the I/O path calls changes no controller state');
	diag($_) for @writes;
}

my %up_from_host = (%up_from_io, %{ $layer_api{io} // {} }, %entry);
rule('host_*.c call neither the I/O path, the core, vctrl*.c nor vfio_dev.c',
     offences('host', \%up_from_host));

my %below_vctrl = (%{ $layer_api{io} // {} }, %entry);
rule('vfio_dev.c reaches the core and the I/O path only through vctrl*.c',
     offences('vfio', \%below_vctrl));

my %module_api;
for my $l (grep { $_ ne 'core' } keys %layer_api) {
	%module_api = (%module_api, %{ $layer_api{$l} });
}
rule('the core calls nothing of the module outside core/', offences('core', \%module_api));

# The core's includes: its own headers only; kernel or libc headers come
# through vnvme_types.h, the one file that differs between the builds.
{
	my @bad;
	for my $path (sort(glob("$src/core/*.[ch]"))) {
		my $name = basename($path);
		next if $name eq 'vnvme_types.h';
		my $t = strip_comments(slurp($path));
		while ($t =~ /^[ \t]*#[ \t]*include[ \t]*([<"])([^>"]+)[>"]/mg) {
			my ($kind, $hdr) = ($1, $2);
			push @bad, "core/$name includes $kind$hdr"
				if $kind eq '<' || $hdr =~ m{/} || !-e "$src/core/$hdr";
		}
	}
	ok(!@bad, 'the core includes only its own headers (kernel ones via vnvme_types.h)');
	diag($_) for @bad;
}

# The layer under the core reads the NVMe wire format through the core's
# spec header, which holds layouts, constants and pure decoders: nothing
# of it acts on a controller, and no other core header is included there.
{
	my @bad;
	for my $path (sort(glob("$src/host_*.c"), glob("$src/host*.h"))) {
		my $name = basename($path);
		my $t = strip_comments(slurp($path));
		while ($t =~ /^[ \t]*#[ \t]*include[ \t]*"core\/([^"]+)"/mg) {
			push @bad, "$name includes core/$1" if $1 ne 'nvme_spec.h';
		}
	}
	my $spec = strip(slurp("$src/core/nvme_spec.h"));
	push @bad, 'core/nvme_spec.h mentions struct vnvme_ctrl'
		if $spec =~ /\bstruct\s+vnvme_ctrl\b/;
	ok(!@bad, 'host_*.c include of the core only its spec header, which acts on no controller');
	diag($_) for @bad;
}

# The helpers of vnvme.h, the core header the glue includes, are what
# anyone may use of the core without being an entry point: so they act on
# plain values, none on a controller.
{
	my @bad = map { "core/vnvme.h: $_->{name}() takes a struct vnvme_ctrl" }
		grep { $_->{params} =~ /\bstruct\s+vnvme_ctrl\b/ }
		functions(strip(slurp("$src/core/vnvme.h")));
	ok(!@bad, 'the helpers of core/vnvme.h act on no controller');
	diag($_) for @bad;
}

# The env ops never call back into the core: nothing reachable from the
# functions of the vnvme_env_ops table calls an entry point.
{
	my (@ops, @off, $ops_file);
	for my $rel (@cfiles) {
		my $t = strip(slurp("$src/$rel"));
		next unless $t =~ /struct\s+vnvme_env_ops\s+\w+\s*=\s*\{([^}]*)\}/s;
		my $init = $1;
		$ops_file = $rel;
		push @ops, [ $1, $2 ] while $init =~ /\.(\w+)\s*=\s*(\w+)/g;
	}
	ok(scalar(@ops), 'the env ops table is found') or diag("no struct vnvme_env_ops initialiser under $src");
	for my $op (@ops) {
		my ($field, $start) = @$op;
		my @todo = ([ $ops_file, $start ]);
		my (%visited, %hit);
		while (my $item = shift @todo) {
			my ($file, $name) = @$item;
			next if $visited{"$file $name"}++;
			my ($fn, $in) = resolve($file, $name);
			next unless $fn;
			next if layer_of($in) eq 'core';
			for my $callee (calls($fn->{body})) {
				if ($entry{$callee}) {
					$hit{$callee} //= "$start() reaches $callee() (from $in: $name())";
					next;
				}
				push @todo, [ $in, $callee ];
			}
		}
		push @off, [ $field, $_, $hit{$_} ] for sort keys %hit;
	}
	rule('no env op calls back into the core', @off);
}

# design.rst names every file of the module's top directory.
{
	my $doc = slurp("$root/Documentation/design.rst");
	my @missing = grep { $doc !~ /\Q$_\E/ }
		map { basename($_) } grep { !/\.mod\.c$/ } sort(glob("$src/*.c"));
	ok(!@missing, 'Documentation/design.rst names every mdev_nvme/*.c');
	diag("not in design.rst: $_") for @missing;
}

my @stale = grep { !$known_seen{$_} } sort keys %KNOWN;
ok(!@stale, 'every known violation still occurs (drop fixed ones from %KNOWN)');
diag("no longer found: $_") for @stale;

# The check fails when it should: on a copy of the sources with one
# offence injected per rule, each of those rules fails.
if (!@ARGV) {
	my $tmp = tempdir(CLEANUP => 1);
	for my $rel (@cfiles, map { s{^\Q$src\E/}{}r } glob("$src/core/*.h")) {
		make_path(dirname("$tmp/mdev_nvme/$rel"));
		copy("$src/$rel", "$tmp/mdev_nvme/$rel") or die "copy $rel: $!\n";
	}
	make_path("$tmp/Documentation");
	copy("$root/Documentation/design.rst", "$tmp/Documentation/design.rst") or die "copy design.rst: $!\n";

	my ($vctrl_fn) = sort keys %{ $layer_api{vctrl} };
	my ($io_fn) = sort keys %{ $layer_api{io} };
	my ($entry_fn) = sort keys %entry_for_io;
	my ($host_fn) = sort keys %{ $layer_api{host} };
	my %inject = (
		'io_ring.c' => "void mnv_test_up1(void *x)\n{\n\t$vctrl_fn(x);\n}\n",
		'io_pin.c' => "void mnv_test_up2(void *x)\n{\n\t$entry_fn(x);\n}\n",
		'host_qpool.c' => "void mnv_test_up3(void *x)\n{\n\t$io_fn(x);\n}\n",
		'host_sysfs.c' => "#include \"core/vnvme.h\"\n",
		'vfio_dev.c' => "static void mnv_test_up4(void *x)\n{\n\t$io_fn(x);\n}\n",
		'core/prp.c' => "#include <linux/slab.h>\nvoid vnvme_test_up5(void *x)\n{\n\t$host_fn(x);\n}\n",
		'core/io_check.c' => "#include \"../host.h\"\n",
	);
	# A helper of vnvme.h that would let anyone act on a controller.
	{
		my $p = "$tmp/mdev_nvme/core/vnvme.h";
		my $t = slurp($p);
		$t =~ s/(#endif \/\* VNVME_H \*\/)/static inline void vnvme_test_helper(struct vnvme_ctrl *c)\n{\n\tc->nsze = 0;\n}\n\n$1/
			or die "no end of core/vnvme.h\n";
		open(my $fh, '>', $p) or die "$p: $!\n";
		print $fh $t;
		close($fh);
	}
	for my $rel (sort keys %inject) {
		open(my $fh, '>>', "$tmp/mdev_nvme/$rel") or die "$rel: $!\n";
		print $fh "\n$inject{$rel}";
		close($fh);
	}
	# The I/O command check changing the controller.
	{
		my $p = "$tmp/mdev_nvme/core/io_check.c";
		my $t = slurp($p);
		$t =~ s/(\bvnvme_io_check\s*\([^)]*struct\s+vnvme_ctrl\s*\*\s*(\w+)[^)]*\)\s*\{)/$1\n\t$2->nsze = 0;/
			or die "no vnvme_io_check() in core/io_check.c\n";
		open(my $fh, '>', $p) or die "$p: $!\n";
		print $fh $t;
		close($fh);
	}
	# An env op that reaches the core through a helper of its own file.
	{
		my $p = "$tmp/mdev_nvme/vctrl.c";
		my $t = slurp($p);
		$t =~ s/(static const struct vnvme_env_ops \w+ = \{)/static int mnv_test_helper(void *c)\n{\n\treturn $entry_fn(c);\n}\n\nstatic int mnv_test_op(void *env)\n{\n\treturn mnv_test_helper(env);\n}\n\n$1\n\t.test_op = mnv_test_op,/
			or die "no env ops table in vctrl.c\n";
		open(my $fh, '>', $p) or die "$p: $!\n";
		print $fh $t;
		close($fh);
	}
	open(my $fh, '>', "$tmp/mdev_nvme/io_undocumented.c") or die "$!\n";
	print $fh "int mnv_test_undoc(void)\n{\n\treturn 0;\n}\n";
	close($fh);

	my $out = qx{"$^X" "$self" "$tmp" 2>&1};
	my $rc = $? >> 8;
	ok($rc != 0, 'on sources with injected offences the check fails') or diag($out);
	for my $want ('the I/O path calls neither vctrl*.c nor vfio_dev.c',
		      "the I/O path calls none of the core's entry points",
		      'the I/O command check the I/O path calls changes no',
		      'host_*.c call neither',
		      'vfio_dev.c reaches the core',
		      'the core calls nothing of the module',
		      'the core includes only its own headers',
		      'host_*.c include of the core only its spec header',
		      'the helpers of core/vnvme.h act on no controller',
		      'no env op calls back into the core',
		      'Documentation/design.rst names every') {
		my ($line) = $out =~ /^(not ok \d+ - \Q$want\E.*)$/m;
		ok(defined $line && $line !~ /# TODO/, "an injected offence fails: $want") or diag($out);
	}
}

done_testing();
