//===- TraceSvg.cpp - a reasoning trace as a picture ----------------------===//
//
// Top to bottom: the title and the legend (wrapped to the picture's width),
// one frame per step taken (in rows of at most kMaxPerRow and about
// kMaxWidth px), then the sigmoid(q_halt) plot. The picture's width comes
// from its contents, text included, so nothing is clipped.
//
//===----------------------------------------------------------------------===//
#include "TraceSvg.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <tuple>
#include <vector>

using namespace trmrun;
using llvm::formatv;

namespace {
constexpr int kMargin = 20, kGap = 28, kMaxWidth = 1200, kMaxPerRow = 8;
constexpr int kMinContentW = 480, kPlotH = 120, kPlotLeft = 40;
constexpr const char *kHaltColour = "#1f77b4", *kQColour = "#ff7f0e";
constexpr const char *kArcPalette[] = {
    "#000000", "#0074D9", "#FF4136", "#2ECC40", "#FFDC00",
    "#AAAAAA", "#F012BE", "#FF851B", "#7FDBFF", "#870C25"};

/// The frames' layout, which the plot shares.
struct Geometry {
  GridEncoding encoding;
  int64_t side, cells, maxSteps, frames;
  int cell, frameW, perRow, rowH;
  int fontSize; // of the numbers in the cells
};

/// One cell of one frame.
struct Cell {
  int64_t input;
  int32_t token;
  bool changed, wrong;
};

/// The q_halt plot's box; step s (1-based) sits in the middle of its band.
struct Plot {
  int x0, y0, w;
  int64_t frames;
  double stepX(int64_t step) const { return x0 + w * (step - 0.5) / frames; }
  double valueY(double v) const { return y0 + kPlotH * (1.0 - v); }
};
} // namespace

GridEncoding trmrun::chooseGridEncoding(int64_t side, int64_t vocab) {
  if ((side == 4 || side == 6 || side == 9) && vocab == side + 2)
    return GridEncoding::Sudoku;
  if (vocab == 12)
    return GridEncoding::Arc;
  return GridEncoding::Raw;
}

bool trmrun::isSquareGrid(int64_t cells) {
  const int64_t side = std::lround(std::sqrt(double(cells)));
  return side * side == cells;
}

/// An estimate of a text's width that errs wide (sans-serif glyphs average
/// well under 0.62 em), so a picture sized by it never clips the text.
static int textWidth(llvm::StringRef text, int fontSize) {
  return int(std::ceil(0.62 * fontSize * text.size()));
}

/// `items` joined by "; " into lines of at most `maxW` px (an item wider
/// than that gets a line to itself, and the picture widens to fit it).
static std::vector<std::string> wrap(llvm::ArrayRef<std::string> items,
                                     int maxW, int fontSize) {
  std::vector<std::string> lines;
  for (const std::string &item : items) {
    if (!lines.empty() &&
        textWidth(lines.back() + "; " + item, fontSize) <= maxW)
      lines.back() += "; " + item;
    else
      lines.push_back(item);
  }
  return lines;
}

static std::vector<std::string> legendItems(GridEncoding e, bool labelled) {
  std::vector<std::string> items;
  if (e == GridEncoding::Arc)
    items = {"ARC colours 0-9, white = pad, hatched = end of grid",
             "dot = changed since the previous step"};
  else
    items = {e == GridEncoding::Sudoku ? "grey = given" : "numbers = token ids",
             "yellow = changed since the previous step"};
  if (labelled)
    items.push_back(e == GridEncoding::Arc
                        ? "red outline = differs from the label"
                        : "red = differs from the label");
  items.push_back("blue border = the step it halted at");
  return items;
}

/// One size for all the token ids of a trace, small enough for the longest
/// to fit a cell.
static int rawFontSize(const GridTrace &t, int64_t frames) {
  int64_t widest = 0;
  for (int64_t token : t.stepPredictions.take_front(frames * t.input.size()))
    widest = std::max(widest, std::abs(token));
  int digits = std::to_string(widest).size();
  return digits == 1 ? 14 : digits == 2 ? 12 : digits == 3 ? 9 : 7;
}

static Geometry layoutFrames(const GridTrace &t) {
  Geometry g;
  g.cells = t.input.size();
  g.side = std::lround(std::sqrt(double(g.cells)));
  g.encoding = chooseGridEncoding(g.side, t.vocab);
  g.maxSteps = t.stepQLogits.size() / 2;
  g.frames = std::min(t.stepsTaken, g.maxSteps);
  // ARC cells carry no text and grids reach 30x30: small cells.
  g.cell = g.encoding != GridEncoding::Arc ? 24 : g.side > 15 ? 8 : 16;
  g.frameW = g.side * g.cell;
  g.fontSize = g.encoding == GridEncoding::Raw ? rawFontSize(t, g.frames) : 14;
  // As many frames a row as fit kMaxWidth (at least one), then the rows
  // balanced so that the last one is not a stub (16 in 4 rows of 4).
  int fit = std::max(1, (kMaxWidth - 2 * kMargin + kGap) / (g.frameW + kGap));
  int64_t widest =
      std::max<int64_t>(1, std::min<int64_t>({fit, kMaxPerRow, g.frames}));
  int64_t rows = std::max<int64_t>(1, (g.frames + widest - 1) / widest);
  g.perRow = std::max<int64_t>(1, (g.frames + rows - 1) / rows);
  // The step's name above a frame, "N wrong" below it, then a gap.
  g.rowH = 18 + g.frameW + (t.label ? 20 : 6) + 10;
  return g;
}

static int64_t countWrong(llvm::ArrayRef<int32_t> prediction,
                          llvm::ArrayRef<int64_t> label) {
  int64_t wrong = 0;
  for (size_t i = 0; i < prediction.size(); ++i)
    wrong += prediction[i] != label[i];
  return wrong;
}

/// The first step taken (1-based) with q_halt > 0, i.e. sigmoid(q_halt) >
/// 0.5, where the q policy halts; 0 when there is none.
static int64_t firstQHaltStep(const GridTrace &t, int64_t frames) {
  for (int64_t k = 0; k < frames; ++k)
    if (t.stepQLogits[k * 2] > 0)
      return k + 1;
  return 0;
}

/// A Sudoku or raw-token cell: a number on a fill that shows givens and
/// changes; a number that differs from the label in bold red.
static void writeTextCell(llvm::raw_ostream &os, const Cell &c, GridEncoding e,
                          int x, int y, int size, int fontSize) {
  bool given = e == GridEncoding::Sudoku && c.input >= 2;
  const char *fill = given ? "#dddddd" : c.changed ? "#ffe066" : "white";
  os << formatv("<rect x='{0}' y='{1}' width='{2}' height='{2}' fill='{3}' "
                "stroke='#bbb'/>",
                x, y, size, fill);
  std::string text = e == GridEncoding::Raw ? std::to_string(c.token)
                     : c.token >= 2         ? std::to_string(c.token - 1)
                     : c.token == 1         ? "."
                                            : "_";
  os << formatv("<text x='{0}' y='{1}' font-size='{2}' text-anchor='middle' "
                "fill='{3}'{4}>{5}</text>\n",
                x + size / 2, y + size / 2 + fontSize * 7 / 20, fontSize,
                c.wrong ? "#d00000" : "black",
                c.wrong ? " font-weight='bold'" : "", text);
}

/// An ARC cell: its colour (pad white, end of grid hatched); a change is a
/// dot and a difference from the label an outline, since fills are colours.
static void writeArcCell(llvm::raw_ostream &os, const Cell &c, int x, int y,
                         int size) {
  const char *fill = c.token >= 2 && c.token < 12 ? kArcPalette[c.token - 2]
                     : c.token == 1               ? "#eeeeee"
                                                  : "white";
  os << formatv("<rect x='{0}' y='{1}' width='{2}' height='{2}' fill='{3}' "
                "stroke='#999' stroke-width='0.5'/>",
                x, y, size, fill);
  if (c.token == 1)
    os << formatv("<path d='M{0},{1}l{2},-{2}' stroke='#999' "
                  "stroke-width='0.7'/>",
                  x, y + size, size);
  if (c.changed)
    os << formatv("<circle cx='{0:f1}' cy='{1:f1}' r='{2:f1}' fill='white' "
                  "stroke='black' stroke-width='0.6'/>",
                  x + size / 2.0, y + size / 2.0, size / 5.0);
  // Red, lined inside with white so that it shows on the red cells too.
  if (c.wrong)
    for (auto [inset, colour, w] :
         {std::tuple(0.75, "#ff0000", 1.5), std::tuple(1.75, "white", 0.5)})
      os << formatv("<rect x='{0:f2}' y='{1:f2}' width='{2:f2}' "
                    "height='{2:f2}' fill='none' stroke='{3}' "
                    "stroke-width='{4}'/>",
                    x + inset, y + inset, size - 2 * inset, colour, w);
  os << "\n";
}

/// The frame's border (blue and thicker at the step it halted at) and, for
/// a Sudoku, its box lines: 2x2 boxes in 4x4, 2 rows x 3 columns in 6x6,
/// 3x3 in 9x9.
static void writeGridLines(llvm::raw_ostream &os, const Geometry &g,
                           bool halted) {
  if (g.encoding == GridEncoding::Sudoku) {
    const int64_t boxRows = g.side == 9 ? 3 : 2, boxCols = g.side / boxRows;
    for (int64_t r = boxRows; r < g.side; r += boxRows)
      os << formatv("<line class='box-line' x1='0' y1='{0}' x2='{1}' "
                    "y2='{0}' stroke='#222' stroke-width='1.5'/>\n",
                    r * g.cell, g.frameW);
    for (int64_t c = boxCols; c < g.side; c += boxCols)
      os << formatv("<line class='box-line' x1='{0}' y1='0' x2='{0}' "
                    "y2='{1}' stroke='#222' stroke-width='1.5'/>\n",
                    c * g.cell, g.frameW);
  }
  os << formatv("<rect class='frame-border' x='0' y='0' width='{0}' "
                "height='{0}' fill='none' stroke='{1}' stroke-width='{2}'/>\n",
                g.frameW, halted ? kHaltColour : "#222", halted ? 3 : 2);
}

/// Step k + 1's frame with its top-left corner at (x0, y0).
static void writeFrame(llvm::raw_ostream &os, const GridTrace &t,
                       const Geometry &g, int64_t k, int x0, int y0) {
  const int64_t s = g.cells;
  llvm::ArrayRef<int32_t> now = t.stepPredictions.slice(k * s, s);
  os << formatv("<g transform='translate({0},{1})'>\n", x0, y0);
  os << formatv("<text x='0' y='-6' font-size='12'>step {0}</text>\n", k + 1);
  for (int64_t i = 0; i < s; ++i) {
    Cell c{t.input[i], now[i],
           k > 0 && t.stepPredictions[(k - 1) * s + i] != now[i],
           t.label && (*t.label)[i] != now[i]};
    int x = (i % g.side) * g.cell, y = (i / g.side) * g.cell;
    if (g.encoding == GridEncoding::Arc)
      writeArcCell(os, c, x, y, g.cell);
    else
      writeTextCell(os, c, g.encoding, x, y, g.cell, g.fontSize);
  }
  writeGridLines(os, g, k + 1 == g.frames);
  if (t.label)
    os << formatv("<text class='wrong' x='0' y='{0}' font-size='12'>{1} "
                  "wrong</text>\n",
                  g.frameW + 16, countWrong(now, *t.label));
  os << "</g>\n";
}

/// The box, the y ticks 0, 0.5 (the halting threshold, dashed) and 1, the
/// steps on the x axis and, with a label, the wrong cells of each step.
static void writePlotAxes(llvm::raw_ostream &os, const GridTrace &t,
                          const Geometry &g, const Plot &p) {
  os << formatv("<text x='{0}' y='{1}' font-size='12'>confidence "
                "sigmoid(q_halt) per step</text>\n",
                kMargin, p.y0 - 36);
  os << formatv("<rect x='{0}' y='{1}' width='{2}' height='{3}' "
                "fill='none' stroke='#888'/>\n",
                p.x0, p.y0, p.w, kPlotH);
  os << formatv("<line x1='{0}' y1='{1:f1}' x2='{2}' y2='{1:f1}' "
                "stroke='#aaa' stroke-dasharray='4'/>\n",
                p.x0, p.valueY(0.5), p.x0 + p.w);
  for (double v : {0.0, 0.5, 1.0})
    os << formatv("<line x1='{0}' y1='{1:f1}' x2='{2}' y2='{1:f1}' "
                  "stroke='#888'/><text class='y-tick' x='{3}' y='{4:f1}' "
                  "font-size='10' text-anchor='end'>{5}</text>\n",
                  p.x0 - 4, p.valueY(v), p.x0, p.x0 - 6, p.valueY(v) + 3.5,
                  v == 0.5 ? "0.5"
                  : v == 0 ? "0"
                           : "1");
  const int stepsY = p.y0 + kPlotH + 14, wrongY = stepsY + 16;
  os << formatv("<text x='{0}' y='{1}' font-size='10' text-anchor='end'>"
                "step</text>\n",
                p.x0 - 6, stepsY);
  if (t.label)
    os << formatv("<text x='{0}' y='{1}' font-size='10' text-anchor='end'>"
                  "wrong</text>\n",
                  p.x0 - 6, wrongY);
  // Every step numbered, unless there are too many to read.
  const int64_t stride = (g.frames + 19) / 20;
  for (int64_t k = 0; k < g.frames; k += stride) {
    double x = p.stepX(k + 1);
    os << formatv("<line x1='{0:f1}' y1='{1}' x2='{0:f1}' y2='{2}' "
                  "stroke='#888'/><text class='x-tick' x='{0:f1}' y='{3}' "
                  "font-size='10' text-anchor='middle'>{4}</text>\n",
                  x, p.y0 + kPlotH, p.y0 + kPlotH + 4, stepsY, k + 1);
    if (t.label)
      os << formatv(
          "<text class='wrong-count' x='{0:f1}' y='{1}' "
          "font-size='10' text-anchor='middle'>{2}</text>\n",
          x, wrongY,
          countWrong(t.stepPredictions.slice(k * g.cells, g.cells), *t.label));
  }
}

/// A vertical line at `step` with `text` above the plot, kept inside it.
static void writeMarker(llvm::raw_ostream &os, const Plot &p, int64_t step,
                        const char *cls, const char *colour, bool dashed,
                        int textY, const std::string &text) {
  double x = p.stepX(step), w = textWidth(text, 11);
  double tx = std::max<double>(p.x0, std::min(x - w / 2, p.x0 + p.w - w));
  os << formatv("<line class='{0}' x1='{1:f1}' y1='{2}' x2='{1:f1}' "
                "y2='{3}' stroke='{4}' stroke-width='2'{5}/>\n",
                cls, x, p.y0, p.y0 + kPlotH, colour,
                dashed ? " stroke-dasharray='5 3'" : "");
  os << formatv("<text class='{0}' x='{1:f1}' y='{2}' font-size='11' "
                "fill='{3}'>{4}</text>\n",
                cls, tx, textY, colour, text);
}

/// Marks the first step with sigmoid(q_halt) > 0.5 and the step the run
/// halted at. Under the q policy they are one step, one marker; a run that
/// never sees q_halt > 0, or ignores it (the fixed policy), stops at the
/// step limit.
static void writeHaltMarkers(llvm::raw_ostream &os, const GridTrace &t,
                             const Geometry &g, const Plot &p) {
  const int64_t q = firstQHaltStep(t, g.frames), halted = g.frames;
  if (halted == 0)
    return;
  std::string why = q == halted            ? ": sigmoid(q_halt) > 0.5"
                    : halted == g.maxSteps ? " (the step limit)"
                                           : "";
  if (q && q != halted)
    writeMarker(os, p, q, "q-marker", kQColour, true, p.y0 - 20,
                "sigmoid(q_halt) > 0.5 first at step " + std::to_string(q));
  writeMarker(os, p, halted, "halt-marker", kHaltColour, false, p.y0 - 6,
              "halted at step " + std::to_string(halted) + why);
}

/// sigmoid(q_halt) of each step: a line through the points, each with its
/// value (above it, or below near the top so it stays inside the box).
static void writeQSeries(llvm::raw_ostream &os, const GridTrace &t,
                         const Geometry &g, const Plot &p) {
  const int64_t stride = (g.frames + 19) / 20;
  std::string points;
  for (int64_t k = 0; k < g.frames; ++k) {
    double conf = 1.0 / (1.0 + std::exp(-double(t.stepQLogits[k * 2])));
    double x = p.stepX(k + 1), y = p.valueY(conf);
    points += formatv("{0:f1},{1:f1} ", x, y).str();
    os << formatv("<circle cx='{0:f1}' cy='{1:f1}' r='3' fill='{2}'/>\n", x, y,
                  kHaltColour);
    if (k % stride == 0)
      // A white halo keeps the value readable over the lines it crosses.
      os << formatv("<text x='{0:f1}' y='{1:f1}' font-size='10' "
                    "text-anchor='middle' stroke='white' stroke-width='3' "
                    "paint-order='stroke'>{2:f2}</text>\n",
                    x, conf > 0.85 ? y + 14 : y - 6, conf);
  }
  os << formatv("<polyline fill='none' stroke='{0}' stroke-width='2' "
                "points='{1}'/>\n",
                kHaltColour, points);
}

void trmrun::writeTraceSvg(llvm::raw_ostream &os, const GridTrace &t) {
  const Geometry g = layoutFrames(t);
  const int framesW = g.perRow * g.frameW + (g.perRow - 1) * kGap;
  const int contentW = std::max(framesW, kMinContentW);
  const std::string title =
      formatv("Supervision steps 1..{0} of {1}", g.frames, g.maxSteps);
  const std::vector<std::string> legend =
      wrap(legendItems(g.encoding, t.label.has_value()), contentW, 12);
  int textW = textWidth(title, 14);
  for (const std::string &line : legend)
    textW = std::max(textW, textWidth(line, 12));
  const int width = 2 * kMargin + std::max(contentW, textW);
  const int rows = (g.frames + g.perRow - 1) / g.perRow;
  const int framesTop = kMargin + 24 + 16 * legend.size() + 18;
  // Room above the plot for its title and the two marker texts.
  const int plotTop = framesTop + rows * g.rowH + 50;
  const int height = plotTop + kPlotH + (t.label ? 36 : 20) + kMargin;

  os << formatv("<svg xmlns='http://www.w3.org/2000/svg' width='{0}' "
                "height='{1}' font-family='sans-serif'>\n",
                width, height);
  os << "<rect width='100%' height='100%' fill='white'/>\n";
  os << formatv("<text x='{0}' y='{1}' font-size='14'>{2}</text>\n", kMargin,
                kMargin + 14, title);
  for (size_t i = 0; i < legend.size(); ++i)
    os << formatv("<text class='legend' x='{0}' y='{1}' font-size='12'>{2}"
                  "</text>\n",
                  kMargin, kMargin + 36 + 16 * i, legend[i]);
  for (int64_t k = 0; k < g.frames; ++k)
    writeFrame(os, t, g, k, kMargin + (k % g.perRow) * (g.frameW + kGap),
               framesTop + (k / g.perRow) * g.rowH + 18);
  const Plot p{kMargin + kPlotLeft, plotTop, width - 2 * kMargin - kPlotLeft,
               std::max<int64_t>(g.frames, 1)};
  writePlotAxes(os, t, g, p);
  writeHaltMarkers(os, t, g, p);
  writeQSeries(os, t, g, p);
  os << "</svg>\n";
}
