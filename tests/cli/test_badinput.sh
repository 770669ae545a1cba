#!/bin/sh
# test_badinput.sh — the bad-input catalogue: what a hostile or careless user
# can type or feed the program, each case with the exit status it must give
# and a fragment of the message that must name what was wrong. Every case
# runs under a timeout (a hang fails), a status of 128 or more is a crash,
# and a case expected to fail that exits 0 is a silent acceptance. After the
# table, checks that nothing was lost or replaced: files behind symbolic
# links, devices and FIFOs at a write target, partial state after Ctrl-C.
# Cases are grouped by the class of input they stand for.
BIN=${NOETHER_BIN:-./noether}
case $BIN in /*) ;; *) BIN="$(pwd)/$BIN" ;; esac
ROOT=$(pwd)
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
no() { fail=$((fail + 1)); echo "not ok - $1"; }

# ---- fixtures ---------------------------------------------------------------
cd "$T" || exit 1
M='data teacher n=16 in=3 out=2; layer dense 4; layer relu; layer dense 2'
printf 'x0,y0\n1,2\n3,4\n' > good.csv
printf '# noether data: len=-1\nx0,y0\n1,2\n3,4\n5,6\n' > len_neg.csv
printf '# noether data: len=0\nx0,y0\n1,2\n' > len_zero.csv
printf '# noether data: len=abc\nx0,y0\n1,2\n' > len_abc.csv
printf '# noether data: len=99999\nx0,y0\n1,2\n' > len_big.csv
printf '# noether data: out_len=-2\nx0,y0\n1,2\n' > outlen_neg.csv
printf '# noether data: len=2 out_len=3\nx0,y0\n1,2\n3,4\n' > outlen_bad.csv
printf '# noether data: classes=2000000000\nx0,label\n1,0\n3,1\n' > classes_huge.csv
printf '# noether data: classes=-1\nx0,label\n1,0\n3,1\n' > classes_neg.csv
printf '# noether data: classes=2\nx0,label\n1,0\n3,5\n' > label_over.csv
printf 'x0,label\n1,0\n3,-1\n' > label_neg.csv
printf 'x0,label\n1,0\n3,0.5\n' > label_frac.csv
printf 'x0,label\n1,0\n3,5000\n' > label_huge.csv
printf '\357\273\277x0,y0\n1,2\n3,4\n' > bom.csv
printf 'x0,y0\r1,2\r3,4\r' > cr.csv
printf 'x0,y0\r\n1,2\r\n3,4\r\n' > crlf.csv
printf 'x0,y0\n1,2\n3\0,4\n' > nul.csv
printf 'x0,y0\n1,2,3\n' > ragged.csv
printf 'x0,y0\n1,abc\n' > notnum.csv
printf 'x0,y0\n1,inf\n' > inf.csv
printf 'x0,y0\n1,nan\n' > nan.csv
printf 'x1,y0\n1,2\n' > badhead.csv
printf 'x0,y0,label\n1,2,0\n' > mixhead.csv
printf 'x0,y0\n' > noRows.csv
printf '# only a comment\n' > nohead.csv
: > empty.csv
printf 'x0,y0\n1,2\n3,4\n5,6\n' > three.csv
awk 'BEGIN { printf "x0,y0\n1,"; for (i = 0; i < 300000; i++) printf "1111"; printf "\n" }' > longline.csv
mkdir adir
mkfifo afifo
# a device node to write onto: never one under /dev (a build that replaced
# the node would break the machine), a twin of /dev/null here when root can
# make one, else a link to /dev/null (followed, then refused)
if [ "$(id -u)" = 0 ] && mknod chardev c 1 3 2>/dev/null; then :; else ln -s /dev/null chardev; fi
ln -s nowhere/x.csv dangling.csv
ln -s loop2 loop1; ln -s loop1 loop2
printf 'echo a\0b; echo c\n' > nul.nt
head -c 64 /dev/zero > allnul.nt
printf 'echo one\033[0m\n' > esc.nt
printf 'echo one\recho two\r' > cr.nt
printf '\357\273\277echo bom-ok\n' > bom.nt
awk 'BEGIN { printf "echo "; for (i = 0; i < 5000; i++) printf "x"; printf "\n" }' > long.nt
echo 'source self.nt' > self.nt
printf 'echo "open\n' > quote.nt
printf '%s\n' "$M" 'step 2' 'expect loss < 0' 'echo still-here' > expect.nt
many=""; i=1; while [ $i -le 70 ]; do many="${many}echo c$i; "; i=$((i + 1)); done
many="${many}save session many.nt"
words="echo"; i=1; while [ $i -le 130 ]; do words="$words w"; i=$((i + 1)); done
head -c 400 "$BIN" > garbage.rec
printf 'frobnicate 3\n' > unknown.rec
printf '# only comments\n\n' > empty.rec
printf '# noether recording\nstep 2\n' > good.rec
printf 'attention a q=x k=y v=z o=w heads=0 head_dim=2 rope=none\n' > heads0.map
printf 'frobnicate block\n' > frob.map
head -c 300 "$BIN" > bin.map
head -c 100 /dev/urandom > rand.safetensors
: > empty.safetensors
printf '\377\377\377\377\377\377\377\377{}' > hugelen.safetensors
BR="$ROOT/tests/bridge"

# ---- the table: STATUS <tab> MESSAGE FRAGMENT <tab> ARGUMENTS (shell words) --
# STATUS 0 cases are valid inputs of the same class that must keep working.
cases() { cat <<'EOF'
1	unknown command 'frobnicate'	-e 'frobnicate'
1	unterminated quote	-e 'echo "abc'
1	too many words (limit 128)	-e "$words"
1	line too long (limit 4095	-e "$(awk 'BEGIN{for(i=0;i<5000;i++) printf "x"}')"
1	control character 0x07	-e "$(printf 'echo a\007b')"
1	control character 0x1b	-e "$(printf 'echo \033[0m')"
1	unterminated quote	-e 'caption "two
lines"'
1	dense: missing WIDTH	-e 'layer dense
4'
0	c70	-e "$M; $many"
0	bom-ok	-b bom.nt
1	control character 0x00	-b nul.nt
1	control character 0x00	-b allnul.nt
1	control character 0x1b	-b esc.nt
1	line too long	-b long.nt
1	control character 0x00	-e 'source /dev/zero'
1	control character 0x00	-b /dev/zero
1	'adir': it is a directory	-b adir
1	'adir': it is a directory	-e 'source adir'
1	cannot open 'missing.nt'	-b missing.nt
1	cannot open 'missing.nt'	-e 'source missing.nt'
1	nested too deeply (limit 8)	-e 'source self.nt'
1	quote.nt:1: unterminated quote	-b quote.nt
1	expect.nt:3: expect failed	-b expect.nt
1	usage: source FILE	-e 'source'
2	--replay: cannot read 'adir': it is a directory	--replay adir
2	--replay: garbage.rec:1: control character	--replay garbage.rec
2	--replay: unknown.rec:1: unknown command 'frobnicate'	--replay unknown.rec
2	--replay: empty.rec: no commands	--replay empty.rec
2	--replay: cannot open 'missing.rec'	--replay missing.rec
2	unknown or incomplete option '--frobnicate'	--frobnicate
2	unknown or incomplete option '-e'	-e
2	unknown or incomplete option '-b'	-b
2	unknown or incomplete option '--replay'	--replay
2	--threads needs an integer in 1..256	--threads 0 -e 'echo'
2	--threads needs an integer in 1..256	--threads 999 -e 'echo'
2	--threads needs an integer in 1..256	--threads x -e 'echo'
2	unexpected argument 'b'	relu2 b -e 'echo'
2	unknown preset 'frob'	frob
1	unknown preset 'frob'	-e 'preset frob'
1	unknown preset '../etc'	-e 'preset ../etc'
1	unknown preset 'a/b'	-e 'preset a/b'
1	metadata len='-1' is not an integer in 1..1024	-e "data csv len_neg.csv; layer pool; layer dense 1; loss mse; step 1"
1	metadata len='0' is not an integer in 1..1024	-e 'data csv len_zero.csv'
1	metadata len='abc' is not an integer in 1..1024	-e 'data csv len_abc.csv'
1	metadata len='99999' is not an integer in 1..1024	-e 'data csv len_big.csv'
1	metadata out_len='-2' is not an integer in 1..1024	-e 'data csv outlen_neg.csv'
1	out_len=3 must be 1 or len (2)	-e 'data csv outlen_bad.csv'
1	metadata classes='2000000000' is not an integer in 0..4096	-e 'data csv classes_huge.csv'
1	metadata classes='-1' is not an integer in 0..4096	-e 'data csv classes_neg.csv'
1	label 5 on data line 2 is not a class index 0..1	-e 'data csv label_over.csv'
1	label -1 on data line 2 is not a class index 0..4095	-e 'data csv label_neg.csv'
1	label 0.5 on data line 2 is not a class index	-e 'data csv label_frac.csv'
1	label 5000 on data line 2 is not a class index 0..4095	-e 'data csv label_huge.csv'
0	2 samples	-e 'data csv bom.csv; show data'
0	2 samples	-e 'data csv cr.csv; show data'
0	2 samples	-e 'data csv crlf.csv; show data'
1	nul.csv:3: NUL byte	-e 'data csv nul.csv'
1	/dev/zero:1: NUL byte	-e 'data csv /dev/zero'
1	longline.csv:2: line longer than the limit of 1048575 bytes	-e 'data csv longline.csv'
1	data csv: 'adir' is a directory	-e 'data csv adir'
1	cannot open 'missing.csv'	-e 'data csv missing.csv'
1	ragged.csv:2: expected 2 columns, found 3	-e 'data csv ragged.csv'
1	notnum.csv:2: column 2: 'abc' is not a finite number	-e 'data csv notnum.csv'
1	inf.csv:2: column 2: 'inf' is not a finite number	-e 'data csv inf.csv'
1	nan.csv:2: column 2: 'nan' is not a finite number	-e 'data csv nan.csv'
1	badhead.csv:1: header must be x0,	-e 'data csv badhead.csv'
1	mixhead.csv:1: header must be x0,	-e 'data csv mixhead.csv'
1	noRows.csv: 0 data lines do not make whole samples	-e 'data csv noRows.csv'
1	nohead.csv: no header line	-e 'data csv nohead.csv'
1	empty.csv: no header line	-e 'data csv empty.csv'
1	3 data lines do not make whole samples of len=2	-e 'data csv three.csv len=2'
1	unexpected argument 'len=0' (len=T with T in 1..1024)	-e 'data csv good.csv len=0'
1	unexpected argument 'frob'	-e 'data csv good.csv frob'
1	usage: data csv FILE	-e 'data csv'
1	unknown data kind 'frob'	-e 'data frob'
1	n=0 out of range 1..1000000	-e 'data teacher n=0'
1	n=2000000 out of range 1..1000000	-e 'data teacher n=2000000'
1	n='abc' is not an integer	-e 'data teacher n=abc'
1	in=5000 out of range 1..4096	-e 'data teacher in=5000'
1	noise='nan' is not a number	-e 'data teacher noise=nan'
1	noise='inf' is not a number	-e 'data teacher noise=inf'
1	unknown option 'bogus'	-e 'data teacher bogus=1'
1	classes=100000 out of range 2..1000	-e 'data blobs classes=100000'
1	len=5000 out of range 1..1024	-e 'data seq len=5000'
1	unknown layer 'frob'	-e 'layer frob'
1	WIDTH 0 out of range 1..4096	-e 'layer dense 0'
1	WIDTH -3 out of range 1..4096	-e 'layer dense -3'
1	WIDTH 5000 out of range 1..4096	-e 'layer dense 5000'
1	WIDTH '4.5' is not an integer	-e 'layer dense 4.5'
1	bias must be on or off	-e 'layer dense 4 bias=maybe'
1	relu: unexpected argument '3'	-e 'layer relu 3'
1	heads=0 out of range 1..16	-e 'layer attn heads=0'
1	pe must be none, sin or rope	-e 'layer attn pe=frob'
1	swiglu: missing hidden=H	-e 'layer swiglu'
1	kernel=0 out of range 1..64	-e 'layer conv1d channels=2 kernel=0'
1	experts=1 out of range 2..16	-e 'layer moe experts=1 hidden=2'
1	gate=topk:K needs an integer K with 2 <= K < experts	-e 'layer moe experts=4 hidden=2 gate=topk:9'
1	residual: no inner blocks	-e 'layer residual { }'
1	residual: missing '}'	-e 'layer residual { dense 4 , relu'
1	classes=1 out of range 2..4096	-e 'layer head softmax classes=1'
1	the model has no layers	-e 'layer pop'
1	unknown loss 'frob'	-e 'loss frob'
1	init: unknown kind 'frob'	-e 'init frob'
1	init: std='nan' is not a number	-e 'init normal std=nan'
1	unknown optimizer 'frob'	-e 'opt frob'
1	opt sgd: batch=0 out of range 1..1000000	-e 'opt sgd batch=0'
1	opt momentum: beta=1.5 out of range [0, 1)	-e 'opt momentum beta=1.5'
1	opt flow: tol=0 out of range 1e-14..0.01	-e 'opt flow tol=0'
1	TAU -1 out of range (0, 1000]	-e 'schedule const -1'
1	TAU 'nan' is not a number	-e 'schedule const nan'
1	TAU '1e400' is not a number	-e 'schedule const 1e400'
1	K 0 out of range 1..1000000000	-e 'schedule cosine 0.1 0'
1	every=0 out of range 1..1000000000	-e 'schedule step 0.1 every=0 gamma=0.5'
1	unknown kind 'frob'	-e 'schedule frob 0.1'
1	wd: λ must be in [0, 1000]	-e 'wd -1'
1	wd: 'nan' is not a number	-e 'wd nan'
1	N must be an integer in 0..1000000000, not '-1'	-e 'step -1'
1	N must be an integer in 0..1000000000, not '1e10'	-e 'step 1e10'
1	usage: step [N]	-e 'step 1 2'
1	diverged at step 1	-e "$M; schedule const 1000; step 50"
1	no data yet	-e 'step 1'
1	laws: no quantity 'frob'	-e "$M; laws frob"
1	over must be all or augmented	-e "$M; laws count over=frob"
1	degree must be 1 or 2, not '3'	-e "$M; laws find degree=3"
1	watch: no quantity 'frob'	-e "$M; watch frob"
1	watch: column 1: empty expression	-e "$M; watch q = "
1	index out of range for layer1.dense.W	-e "$M; watch q = W1[9,9]"
1	column 6: unexpected end of expression	-e "$M; watch q = sqrt("
1	'1bad' is not a valid name	-e "$M; watch 1bad = 1"
1	reduce it with sum()	-e "$M; watch q = W1"
1	unwatch: no quantity 'frob'	-e "$M; unwatch frob"
1	augment: unknown group 'frob'	-e "$M; augment frob"
1	unknown operator '~'	-e "$M; expect loss ~ 1"
1	expect: unknown metric 'frob'	-e "$M; expect frob < 1"
1	expect failed: loss	-e "$M; expect loss < 0"
1	print: unknown metric 'frob'	-e "$M; print frob"
1	usage: export csv FILE	-e 'export csv'
1	export: cannot write '/nonexistent/x.csv'	-e "$M; export csv /nonexistent/x.csv"
1	unexpected argument 'every=0'	-e "$M; export csv x.csv every=0"
1	export: cannot write 'adir': it is a directory	-e "$M; export csv adir"
1	export: cannot write 'afifo': it is a FIFO	-e "$M; export csv afifo"
1	save: cannot write 'afifo': it is a FIFO	-e "$M; save params afifo"
1	save: cannot write 'chardev': it is a device	-e "$M; save params chardev"
1	export: cannot write 'chardev': it is a device	-e "$M; export csv chardev"
1	save session: cannot write 'adir': it is a directory	-e "$M; save session adir"
1	save data: cannot write 'afifo': it is a FIFO	-e "$M; save data afifo"
1	sweep: cannot write 'adir': it is a directory	-e "$M; sweep tau 0.1 steps=5 csv=adir"
1	export: cannot write 'dangling.csv'	-e "$M; export csv dangling.csv"
1	export: cannot write 'loop1': more than 40 symbolic links	-e "$M; export csv loop1"
1	usage: save params	-e 'save frob x'
1	load: cannot open 'missing.st'	-e "$M; load params missing.st"
1	not a safetensors file: 0 bytes	-e "$M; load params empty.safetensors"
1	safetensors	-e "$M; load params rand.safetensors"
1	safetensors	-e "$M; load params hugelen.safetensors"
1	bad safetensors header	-e "$M; load params $BR/bad/garbled.safetensors"
1	truncated or corrupt safetensors file	-e "$M; load params $BR/bad/truncated.safetensors"
1	has no tensor 'layer1.dense.W'	-e "$M; load params $BR/sgd/step_000000.safetensors"
1	heads0.map:1: bad or unknown option 'heads=0'	-e "laws checkpoints $BR/sgd map=heads0.map"
1	frob.map:1: unknown block 'frobnicate'	-e "laws checkpoints $BR/sgd map=frob.map"
1	bin.map:1:	-e "laws checkpoints $BR/sgd map=bin.map"
1	laws checkpoints: no checkpoints (*.safetensors, *.safetensors.index.json, checkpoint-N/) in 'adir'	-e "laws checkpoints adir map=$BR/qwen_tiny.map"
1	cannot open 'missing.map'	-e "laws checkpoints $BR/sgd map=missing.map"
1	sweep: steps=0 out of range 1..100000000	-e "$M; sweep tau 0.1 steps=0"
1	sweep: seeds=0 out of range 1..64	-e "$M; sweep tau 0.1 steps=10 seeds=0"
1	at= horizons must be ascending	-e "$M; sweep tau 0.1 steps=10 at=999"
0	it shows nan, not a law	-e "$M; watch q = norm2(W2); step 1; layer clear; layer dense 2; step 1; laws all"
1	expect failed: q is contrast (rate nan), not law	-e "$M; watch q = norm2(W2); layer clear; layer dense 2; expect q is law"
1	watch: q is inf at θ0, not a finite number	-e "$M; watch q = 1/0"
1	watch: q is nan at θ0, not a finite number	-e "$M; watch q = log(0-1)"
1	watch: q is nan at θ0, not a finite number	-e "$M; watch q = sqrt(W1[0,0] - 100)"
1	watch: 'loss' names a built-in metric	-e "$M; watch loss = norm2(W1)"
1	watch: 'step' names a built-in metric	-e "$M; watch step = 1"
1	watch: 'B' names a built-in metric	-e "$M; watch B = norm2(W1)"
1	watch: a quantity named 'q' exists already	-e "$M; watch q = 1; watch q = 2"
1	opt sgd: batch=100 is more than the 16 samples of the data	-e "$M; opt sgd batch=100"
1	opt sgd: batch=16 is more than the 8 samples of the data	-e "$M; opt sgd batch=16; step 1; data teacher n=8 in=3 out=2; step 1"
1	init: std=0 out of range (0, 1000]	-e "$M; init normal std=0"
1	load: cannot read 'adir': it is a directory	-e "$M; load params adir"
1	load: cannot read 'afifo': it is not a regular file	-e "$M; load params afifo"
1	usage: new	-e 'new extra'
1	usage: theme dark|light|mono|contrast	-e 'theme neon'
1	speed: '-5' is not faster, slower, max or a step count	-e 'speed -5'
1	usage: panel N|NAME	-e 'panel 99 on'
1	usage: plot braille|block|ascii	-e 'plot frob'
1	usage: present [on|off]	-e 'present frob'
1	help: unknown command 'frob'	-e 'help frob'
1	help: unknown layer 'frob'	-e 'help layer frob'
1	usage: tau up|down	-e 'tau frob'
EOF
}

# run STATUS FRAGMENT ARGS: one case
n=0
cases | while IFS='	' read -r want frag args; do
	[ -n "$want" ] || continue
	# a case whose arguments span lines continues on the next lines
	while [ $(( $(printf '%s' "$args" | tr -cd "'" | wc -c) % 2 )) -eq 1 ]; do
		IFS= read -r more || break
		args="$args
$more"
	done
	eval "set -- $args"
	timeout 30 "$BIN" "$@" </dev/null >"$T/out" 2>"$T/err"
	rc=$?
	label="$(printf '%s' "$args" | tr '\n' ' ' | cut -c1-70)"
	if [ $rc -eq 124 ]; then echo "not ok - HANG: $label"
	elif [ $rc -ge 128 ]; then echo "not ok - CRASH (status $rc): $label"; tail -3 "$T/err"
	elif [ $rc -ne "$want" ]; then echo "not ok - status $rc, want $want: $label"; head -3 "$T/err"
	elif ! grep -qF -- "$frag" "$T/out" "$T/err"; then echo "not ok - message lacks '$frag': $label"; head -3 "$T/err"
	else echo "ok - [$want] $frag"; fi
done > "$T/results"
cat "$T/results"
pass=$((pass + $(grep -c '^ok' "$T/results")))
fail=$((fail + $(grep -c '^not ok' "$T/results")))
echo "# table: $(grep -c '' "$T/results") cases"

# ---- nothing lost, nothing replaced -----------------------------------------
echo old > target.csv; ln -s target.csv link.csv
"$BIN" -e "$M; step 2; export csv link.csv" >/dev/null 2>&1
if [ -L link.csv ] && grep -q '^# noether' target.csv; then ok "export through a symbolic link writes its target and keeps the link"
else no "export through a symbolic link writes its target and keeps the link"; fi
echo old > t2.st; chmod 640 t2.st; ln -s sub/../t2.st rel.st; mkdir sub
"$BIN" -e "$M; save params rel.st" >/dev/null 2>&1
[ -L rel.st ] && [ "$(stat -c %a t2.st)" = 640 ] && [ "$(wc -c < t2.st)" -gt 100 ] \
	&& ok "save params through a relative link: target written, link and mode kept" \
	|| no "save params through a relative link: target written, link and mode kept"
[ -p afifo ] && ok "a FIFO at the target is not replaced" || no "a FIFO at the target is not replaced"
[ -d adir ] && [ -z "$(ls adir)" ] && ok "a directory target is left alone" || no "a directory target is left alone"
[ -c chardev ] || [ -L chardev ] && ok "a device node at the target is not replaced" || no "a device node at the target is not replaced"
[ ! -e afifo.tmp ] && [ ! -e adir.tmp ] && [ ! -e chardev.tmp ] && ok "no temporary file left behind" || no "no temporary file left behind"

# ---- 70 commands on one line: the 70th and the closing save both ran --------
"$BIN" -e "$M; $many" >"$T/o" 2>&1
grep -q '^c70$' "$T/o" && [ -f many.nt ] && ok "70 commands on one line all run (the closing save too)" \
	|| no "70 commands on one line all run (the closing save too)"

# ---- a newline inside -e: commands, never raw text in files -----------------
"$BIN" -e 'data teacher n=8 in=3 out=1
layer dense 4
layer relu; layer dense 1
step 2; export csv nl.csv; save session nl.nt' >/dev/null 2>&1
awk '/^x|^step/ { exit } !/^#/ { bad = 1 } END { exit bad }' nl.csv && ok "newline in -e: every metadata line of the CSV starts with #" \
	|| no "newline in -e: every metadata line of the CSV starts with #"
"$BIN" -b nl.nt -e 'echo' >"$T/o" 2>&1 && "$BIN" -e 'source nl.nt; print step' 2>&1 | grep -q 'step = 2' \
	&& ok "newline in -e: the saved session replays" || no "newline in -e: the saved session replays"

# ---- a saved session rebuilds its state whatever it is sourced into ----------
"$BIN" -e "$M; wd 0.1; watch hq = norm2(W1); step 5; save session s1.nt" >/dev/null 2>&1
"$BIN" -e "data teacher n=8 in=5 out=1; layer dense 3; layer dense 1; wd 0.3; opt sgd batch=4; watch hq = 1; source s1.nt; print step params; show" >"$T/o" 2>&1
grep -q '^params = 26$' "$T/o" && grep -q 'opt: gd   schedule const 0.05   wd: 0.1' "$T/o" && grep -q 'ok: step = 5 == 5' "$T/o" \
	&& ok "save session sourced into a busy session: same model, settings and step" \
	|| { no "save session sourced into a busy session: same model, settings and step"; head -5 "$T/o"; }

# ---- a preset after an sgd run trains full-batch, as it says ----------------
a=$("$BIN" -e 'preset relu2; step 3; print loss' 2>&1)
b=$("$BIN" -e 'opt sgd batch=4; preset relu2; step 3; print loss' 2>&1)
[ -n "$a" ] && [ "$a" = "$b" ] && ok "a preset after opt sgd batch=4 is full-batch gd again" \
	|| no "a preset after opt sgd batch=4 is full-batch gd again ($a / $b)"

# ---- CR-only script lines are separate lines ---------------------------------
"$BIN" -b cr.nt >"$T/o" 2>&1
[ "$(cat "$T/o")" = "one
two" ] && ok "CR-only line endings: two lines, two commands" || no "CR-only line endings: two lines, two commands"

# ---- a NUL byte does not cut the check short ---------------------------------
"$BIN" -b nul.nt >"$T/o" 2>&1
grep -q '^a$' "$T/o" && no "a NUL byte: nothing before it runs either" || ok "a NUL byte: nothing before it runs either"

# ---- endless input fails fast, memory bounded --------------------------------
if command -v /usr/bin/time >/dev/null 2>&1; then
	( yes 1, | tr -d '\n' | /usr/bin/time -f '%M' -o "$T/mem" timeout 20 "$BIN" -e 'data csv /dev/stdin' ) >/dev/null 2>&1
	kb=$(cat "$T/mem" 2>/dev/null | tail -1)
	[ -n "$kb" ] && [ "$kb" -lt 100000 ] && ok "an endless CSV line fails with bounded memory (${kb} KB)" \
		|| no "an endless CSV line fails with bounded memory (${kb:-?} KB)"
fi
( yes echo | tr -d '\n' | timeout 20 "$BIN" -b - ) >"$T/o" 2>&1
grep -q 'line too long' "$T/o" && ok "an endless script line fails fast" || no "an endless script line fails fast"

# ---- output that cannot be written is a failure ------------------------------
if [ -w /dev/full ]; then
	"$BIN" -e 'echo hello' >/dev/full 2>"$T/o"; rc=$?
	[ $rc -ne 0 ] && grep -q 'error writing standard output' "$T/o" && ok "output to a full device: exit $rc with a message" \
		|| no "output to a full device: exit $rc with a message"
	"$BIN" --help >/dev/full 2>/dev/null && no "--help to a full device: non-zero exit" || ok "--help to a full device: non-zero exit"
fi

# ---- Ctrl-C in a headless script: stop, say so, save nothing after -----------
"$BIN" -e "$M; step 1000000000; save session after.nt" >"$T/o" 2>&1 &
pid=$!
sleep 1
kill -INT $pid
wait $pid; rc=$?
[ $rc -eq 130 ] && ok "Ctrl-C during a headless step: exit 130" || no "Ctrl-C during a headless step: exit 130 (got $rc)"
grep -q "interrupted at step .*the script stops" "$T/o" && ok "Ctrl-C: the message says where it stopped" || no "Ctrl-C: the message says where it stopped"
[ ! -e after.nt ] && ok "Ctrl-C: the rest of the script (a save) did not run" || no "Ctrl-C: the rest of the script (a save) did not run"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
