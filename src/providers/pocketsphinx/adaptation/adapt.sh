#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Adapts the pocketsphinx en-us acoustic model to a voice and a line with MLLR
# (sphinxtrain's bw + mllr_solve, two passes) and writes the transform.
#
#   adapt.sh DATA_TOOL LINE MODEL_DIR DICTIONARY WORK_DIR OUT_FILE --sentences FILE --voices A,B
#   adapt.sh DATA_TOOL LINE MODEL_DIR DICTIONARY WORK_DIR OUT_FILE --recordings LIST
#
# DATA_TOOL is pocketsphinx_adapt_data (build/src/providers/pocketsphinx/): it
# turns espeak-ng speech of the sentences, or your recordings (LIST: one
# "FILE.wav<TAB>what was said" per line), into 16 kHz audio as the provider hears
# it on LINE (narrowband or wideband), and rebuilds the model's mixture weights.
# Debian packages: sphinxtrain (bw, mllr_solve), sphinxbase-utils (sphinx_fe),
# pocketsphinx (pocketsphinx_mdef_convert). Run by the build for the built-in
# "espeak" transforms; usable by hand (docs/providers/pocketsphinx.md).
set -eu
TOOL=$1 LINE=$2 MODEL=$3 DICT=$4 WORK=$5 OUT=$6
shift 6
ST=${SPHINXTRAIN_DIR:-/usr/lib/sphinxtrain}
abs() { (cd "$(dirname "$1")" && printf '%s/%s' "$(pwd)" "$(basename "$1")"); }
DICT=$(abs "$DICT")  # bw runs inside WORK_DIR
# WORK_DIR is wiped: only ever a directory this script made (or a new one).
if [ -e "$WORK" ] && [ ! -f "$WORK/.loqui-adapt" ] && [ ! -f "$WORK/hmm/mdef.txt" ] && [ -n "$(ls -A "$WORK" 2>/dev/null)" ]; then
  echo "adapt.sh: $WORK is not empty and was not made by adapt.sh; give a new directory" >&2
  exit 1
fi
rm -rf "$WORK"
mkdir -p "$WORK/hmm"
touch "$WORK/.loqui-adapt"
for f in means variances transition_matrices noisedict feat.params; do cp "$MODEL/$f" "$WORK/hmm/"; done
pocketsphinx_mdef_convert -text "$MODEL/mdef" "$WORK/hmm/mdef.txt" > "$WORK/mdef.log" 2>&1 ||
  { echo "adapt.sh: pocketsphinx_mdef_convert failed, see $WORK/mdef.log" >&2; exit 1; }
"$TOOL" --line "$LINE" --model-dir "$MODEL" --dictionary "$DICT" --out "$WORK" "$@"
mv "$WORK/mixture_weights" "$WORK/hmm/"
sphinx_fe -argfile "$WORK/hmm/feat.params" -samprate 16000 -c "$WORK/fileids" -di "$WORK" -do "$WORK" \
  -ei wav -eo mfc -mswav yes -remove_noise no > "$WORK/fe.log" 2>&1 ||
  { echo "adapt.sh: sphinx_fe failed, see $WORK/fe.log" >&2; exit 1; }
CMNINIT=$(sed -n 's/^-cmninit //p' "$WORK/hmm/feat.params")
prev=""
for pass in 1 2; do
  # shellcheck disable=SC2086  # $prev is empty or two words
  (cd "$WORK" && "$ST/bw" -hmmdir hmm -moddeffn hmm/mdef.txt -ts2cbfn .ptm. -feat 1s_c_d_dd \
    -svspec 0-12/13-25/26-38 -cmn batch -cmninit "$CMNINIT" -agc none -dictfn "$DICT" -fdictfn hmm/noisedict \
    -ctlfn fileids -lsnfn transcription -accumdir . $prev > "bw.$pass.log" 2>&1) ||
    { echo "adapt.sh: bw failed, see $WORK/bw.$pass.log" >&2; exit 1; }
  (cd "$WORK" && "$ST/mllr_solve" -meanfn hmm/means -varfn hmm/variances -outmllrfn "mllr.$pass" -accumdir . \
    > "mllr_solve.$pass.log" 2>&1) || { echo "adapt.sh: mllr_solve failed, see $WORK/mllr_solve.$pass.log" >&2; exit 1; }
  prev="-mllrmat mllr.$pass"
done
mkdir -p "$(dirname "$OUT")"
cp "$WORK/mllr.2" "$OUT"
echo "adapt.sh: $OUT ($LINE; $(wc -l < "$WORK/fileids") utterances)"
