#!/bin/sh
# test_lesson.sh — the lesson a room can see (issue 12) and a training run
# followed live (issue 17, item 4), through tmux:
# - the README tour's compare at 100x30: both run labels, a log step axis by
#   default (x toggles it), A's largest law drift growing from step 100 to
#   2000 while B's stays;
# - a projector (80x24, --present, ASCII so the capture tells the curves
#   apart): after 2000 compared steps the drift plot holds both A's and B's
#   curve and the big digits show A's and B's drift, A's the larger;
# - a sourced script `compare; step 300; print; pause`: the pause shows both
#   runs stepped and what the script printed, and no stale output overlay is
#   left when the script ends;
# - `laws checkpoints DIR follow` on the screen picks up a checkpoint written
#   after it started, shows drift per family and ε_block, Esc stops it and Esc
#   again closes the view.
# Run from the repository root; the binary is $NOETHER_BIN (default ./noether).
. tests/screen/harness.inc

# "max 2.31e-03" of the conserved panels' footers or headlines: A's, then B's
maxes() { cap "$1" | grep -o 'max [0-9.]*e[-+][0-9]*' | sed 's/max //'; }
# step_ab SESSION N: waits until both runs have taken N steps (status line)
step_ab() { wait_for "$1" "step $2 (B $2)" "${3:-600}"; }

# Tokens spelled in big digits (ASCII '#', 5 rows) in the first rows of a
# capture on stdin, left to right: characters 4 cells apart make one token.
big_tokens() {
	awk '
	BEGIN {
		split("0 7,5,5,5,7 1 2,6,2,2,7 2 7,1,7,4,7 3 7,1,7,1,7 4 5,5,7,1,1 5 7,4,7,1,7 6 7,4,7,5,7 " \
		      "7 7,1,1,1,1 8 7,5,7,5,7 9 7,5,7,1,7 . 0,0,0,0,2 - 0,0,7,0,0 e 0,7,7,4,7 A 2,5,7,5,5 B 6,5,6,5,6", f, " ")
		for (i = 1; i < 34; i += 2) {
			split(f[i + 1], r, ",")
			k = ""
			for (j = 1; j <= 5; j++)
				k = k (int(r[j] / 4) % 2 ? "#" : " ") (int(r[j] / 2) % 2 ? "#" : " ") (r[j] % 2 ? "#" : " ") "|"
			font[k] = f[i]
		}
	}
	NR <= 9 { l[NR] = sprintf("%-300s", $0) }
	END {
		best = ""
		for (y = 1; y + 4 <= 9; y++) {
			out = ""; last = -10
			for (c = 1; c <= 297; c++) {
				k = ""; blank = 1
				for (j = 0; j < 5; j++) {
					k = k substr(l[y + j], c, 3) "|"
					if (substr(l[y + j], c + 3, 1) != " " || (c > 1 && substr(l[y + j], c - 1, 1) != " "))
						blank = 0
				}
				if (!blank || !(k in font))
					continue
				out = out (c == last + 4 ? "" : " ") font[k]
				last = c
			}
			if (length(out) > length(best))
				best = out
		}
		print best
	}'
}

# --- the README tour's compare, 100x30 ---
S=tour
start $S 100 30 -- relu2
typecmd $S 'compare schedule const 0.05 decay 0.05' 0.5
cap $S > "$TMP/t0.txt"
grep -q "A · const τ=0.05" "$TMP/t0.txt" && grep -q "B · decay τ0=0.05" "$TMP/t0.txt"
check "tour: A's and B's panels named by their schedule" $?
grep -q "DRIFT A/B" "$TMP/t0.txt"; check "tour: the drift plot holds A and B" $?
typecmd $S 'step 100' 0.2
step_ab $S 100; check "tour: step 100 steps both runs" $?
sleep 0.3
set -- $(maxes $S)
a100=$1 b100=$2
typecmd $S 'step 1900' 0.2
step_ab $S 2,000; check "tour: 2000 steps in both runs" $?
sleep 0.3
cap $S > "$TMP/t1.txt"
set -- $(maxes $S)
a2k=$1 b2k=$2
awk -v a=$a100 -v b=$a2k 'BEGIN { exit !(a > 0 && b >= 3 * a) }'
check "tour: A's largest law drift grows ($a100 at k=100, $a2k at k=2000)" $?
awk -v a=$b100 -v b=$b2k 'BEGIN { exit !(a > 0 && b < 1.1 * a && b > 0.9 * a) }'
check "tour: B's stays ($b100 at k=100, $b2k at k=2000)" $?
awk -v a=$a2k -v b=$b2k 'BEGIN { exit !(a > 5 * b) }'; check "tour: A drifts more than B" $?
# log k: 1, 10, 100 evenly spaced on the step axis; x toggles to linear k
xl=$(grep "k = 2,000" "$TMP/t1.txt" | head -n 1)
echo "$xl" | grep -q " 1  .* 10  .* 100 .*k = 2,000"; check "tour: log step axis by default under compare (1 10 100)" $?
grep -q "relative law drift" "$TMP/t1.txt"; check "tour: the drift plot's title names what it shows" $?
grep -q "Σ τ²" "$TMP/t1.txt" && grep -q "[^a-z]k [∝]" "$TMP/t1.txt"
check "tour: the budget Σ τ² and the ∝ k reference in the legend" $?
T send-keys -t $S x
sleep 0.5
cap $S > "$TMP/t2.txt"
grep -q "step axis: linear k" "$TMP/t2.txt"; check "tour: x says the axis is linear now" $?
xl=$(grep "k = 2,000" "$TMP/t2.txt" | head -n 1)
echo "$xl" | grep -q " 1  .* 10  .* 100 "; [ $? != 0 ] && echo "$xl" | grep -q "1k"
check "tour: x puts the step axis back on linear k (ticks 500 1k 1.5k)" $?
typecmd $S 'plot logx on' 0.5
cap $S | grep "k = 2,000" | grep -q " 1  .* 10  .* 100 "; check "tour: plot logx on brings log k back" $?
quit_clean $S tour

# --- a projector: 80x24 --present, 2000 compared steps ---
S=proj
start $S 80 24 -- --present --no-unicode relu2
typecmd $S 'compare schedule const 0.05 decay 0.05' 0.5
typecmd $S 'step 2000' 0.2
step_ab $S 2,000; check "projector: 2000 steps in both runs" $?
sleep 0.5
cap $S > "$TMP/p.txt"
# the drift plot's rows (inside its box, between the title and the bottom border)
awk '/DRIFT A\/B/ { on = 1; next } on && /^\+/ { on = 0 } on' "$TMP/p.txt" > "$TMP/plot.txt"
rows=$(wc -l < "$TMP/plot.txt")
[ "$rows" -ge 8 ]; check "projector: the drift plot gets the space ($rows rows)" $?
na=$(tr -cd 'A' < "$TMP/plot.txt" | wc -c)
nb=$(tr -cd 'B' < "$TMP/plot.txt" | wc -c)
[ "$na" -ge 15 ] && [ "$nb" -ge 15 ]; check "projector: both curves drawn (A in $na cells, B in $nb)" $?
grep -q "^A .*max [0-9.]*e-0[0-9]  eps [0-9.]*e-0[0-9]  *B .*max [0-9.]*e-0[0-9]  eps" "$TMP/p.txt"
check "projector: the panels collapse to A's and B's headline numbers" $?
tok=$(big_tokens < "$TMP/p.txt")
echo "# big digits:" $tok
set -- $tok
[ "$1" = 2000 ] && [ "$2" = A ] && [ "$4" = B ] && [ -n "$5" ]; check "projector: big digits show the step, A's and B's drift" $?
awk -v a="$3" -v b="$5" 'BEGIN { exit !(a + 0 > 5 * (b + 0) && b + 0 > 0) }'
check "projector: A's big number ($3) above B's ($5)" $?
quit_clean $S projector

# --- a sourced script that compares, steps, prints and pauses ---
printf 'compare schedule const 0.05 decay 0.05\nstep 300\nprint B.laws.max-rel\npause "check B"\ncaption "script done"\n' > "$TMP/s.nt"
S=scr
start $S 100 30 -- relu2
typecmd $S "source $TMP/s.nt" 0.2
wait_for $S "check B" 300; check "script: the pause is shown" $?
cap $S > "$TMP/s1.txt"
grep -q "step 300 (B 300)" "$TMP/s1.txt"; check "script: at the pause both runs have stepped" $?
grep -q "B.laws.max-rel = 0.000[1-9]" "$TMP/s1.txt"; check "script: the message line shows what the script printed (B moved)" $?
grep -q "││layer2.relu.n0 .*[1-9][.0-9]*e-0[0-9]│\$" "$TMP/s1.txt"; check "script: at the pause B's panel shows its drift" $?
T send-keys -t $S Enter
wait_for $S "script done" 50; check "script: runs on after a key" $?
sleep 0.5
cap $S > "$TMP/s2.txt"
grep -q "OUTPUT" "$TMP/s2.txt"; [ $? != 0 ]; check "script: no stale output overlay at the end" $?
grep -q "B · decay" "$TMP/s2.txt" && grep -q "max 6\.[0-9]*e-04" "$TMP/s2.txt"; check "script: B's panel shows its drift" $?
quit_clean $S script

# --- laws checkpoints DIR follow on the screen ---
G=tests/bridge/gqa
mkdir "$TMP/run"
cp -r "$G/checkpoint-0" "$G/checkpoint-60" "$TMP/run/"
S=fol
start $S 100 30 -- relu2
typecmd $S "laws checkpoints $TMP/run follow every=0.2" 0.2
wait_for $S "2 checkpoints read, steps 0 to 60" 300; check "follow: the checkpoints present at the start are read" $?
cap $S > "$TMP/f1.txt"
grep -q "CHECKPOINTS · following" "$TMP/f1.txt"; check "follow: a view in place of the panels" $?
grep -q "largest law drift  Q/K [0-9.]*e-0[0-9]  V/O [0-9.]*e-0[0-9]  MLP" "$TMP/f1.txt"; check "follow: drift per law family" $?
grep -q "ε_block.*layer0.attn [0-9.]*e-0[0-9]" "$TMP/f1.txt"; check "follow: ε_block per block" $?
grep -q "LAW DRIFT OVER TRAINING" "$TMP/f1.txt" && grep -q "k = 60" "$TMP/f1.txt"; check "follow: a plot over the training steps" $?
cp -r "$G/checkpoint-120" "$TMP/run/.checkpoint-120.tmp" && mv "$TMP/run/.checkpoint-120.tmp" "$TMP/run/checkpoint-120"
wait_for $S "3 checkpoints read, steps 0 to 120" 300; check "follow: picks up a checkpoint written after it started" $?
cap $S | grep -q "checkpoint step 120 read (3 so far)"; check "follow: the message line names it" $?
cap $S | grep -q "k = 120"; check "follow: the plot runs to step 120" $?
T send-keys -t $S n
wait_for $S "│ step 1 │" 30; check "follow: keys still work while following (n stepped: $(step_of $S))" $?
T send-keys -t $S Escape
wait_for $S "stopped (Esc)" 30; check "follow: Esc stops following, the view stays" $?
cp -r "$G/checkpoint-180" "$TMP/run/checkpoint-180"
sleep 1
cap $S | grep -q "3 checkpoints read"; check "follow: nothing read after it stopped" $?
T send-keys -t $S Escape
wait_gone $S "CHECKPOINTS" 30; check "follow: Esc again closes the view" $?
cap $S | grep -q "CONSERVED"; check "follow: the panels are back" $?
quit_clean $S follow

finish
