//===- TraceSvg.cpp - a reasoning trace as a picture ----------------------===//
#include "TraceSvg.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace trmrun;

bool trmrun::isSquareGrid(int64_t cells) {
  const int64_t side = std::lround(std::sqrt(double(cells)));
  return side * side == cells;
}

void trmrun::writeTraceSvg(llvm::raw_ostream &os, const GridTrace &t) {
  const int64_t cells = t.input.size();
  const int64_t side = std::lround(std::sqrt(double(cells)));
  const int cell = 24, gap = 28, margin = 20, frameW = side * cell;
  const int plotH = 120, titleH = 40;
  const int64_t frames = t.stepsTaken;
  const int width = margin * 2 + frames * frameW + (frames - 1) * gap;
  const int height = titleH + frameW + 30 + plotH + margin * 2;

  os << llvm::formatv("<svg xmlns='http://www.w3.org/2000/svg' width='{0}' "
                      "height='{1}' font-family='sans-serif'>\n",
                      std::max(width, 420), height);
  os << "<rect width='100%' height='100%' fill='white'/>\n";
  os << llvm::formatv("<text x='{0}' y='22' font-size='14'>Supervision steps "
                      "1..{1}: yellow = changed since the previous step, red "
                      "= differs from the label, grey = given</text>\n",
                      margin, frames);
  for (int64_t k = 0; k < frames; ++k) {
    const int x0 = margin + k * (frameW + gap), y0 = titleH;
    os << llvm::formatv("<text x='{0}' y='{1}' font-size='12'>step {2}</text>\n",
                        x0, y0 - 4, k + 1);
    for (int64_t i = 0; i < cells; ++i) {
      int32_t p = t.stepPredictions[k * cells + i];
      bool given = t.input[i] >= 2;
      bool changed = k > 0 && t.stepPredictions[(k - 1) * cells + i] != p;
      bool wrong = t.label && (*t.label)[i] != p;
      const char *fill = given ? "#dddddd" : changed ? "#ffe066" : "white";
      int x = x0 + (i % side) * cell, y = y0 + (i / side) * cell;
      os << llvm::formatv("<rect x='{0}' y='{1}' width='{2}' height='{2}' "
                          "fill='{3}' stroke='#888'/>",
                          x, y, cell, fill);
      std::string text = p >= 2 ? std::to_string(p - 1) : ".";
      os << llvm::formatv("<text x='{0}' y='{1}' font-size='14' "
                          "text-anchor='middle' fill='{2}'{3}>{4}</text>\n",
                          x + cell / 2, y + cell - 7, wrong ? "#d00000" : "black",
                          wrong ? " font-weight='bold'" : "", text);
    }
  }
  // sigmoid(q_halt) per step; the model halts once it passes 0.5.
  const int py0 = titleH + frameW + 30, px0 = margin + 30;
  const int plotW = std::max(width, 420) - px0 - margin;
  os << llvm::formatv("<text x='{0}' y='{1}' font-size='12'>confidence "
                      "sigmoid(q_halt) per step</text>\n",
                      margin, py0 - 8);
  os << llvm::formatv("<rect x='{0}' y='{1}' width='{2}' height='{3}' "
                      "fill='none' stroke='#888'/>\n",
                      px0, py0, plotW, plotH);
  os << llvm::formatv("<line x1='{0}' y1='{1}' x2='{2}' y2='{1}' "
                      "stroke='#aaa' stroke-dasharray='4'/>\n",
                      px0, py0 + plotH / 2, px0 + plotW);
  os << llvm::formatv("<text x='{0}' y='{1}' font-size='10'>0.5</text>\n",
                      margin, py0 + plotH / 2 + 4);
  std::string points;
  for (int64_t k = 0; k < frames; ++k) {
    double q = t.stepQLogits[k * 2];
    double conf = 1.0 / (1.0 + std::exp(-q));
    double x = px0 + (frames == 1 ? plotW / 2.0
                                  : double(k) * plotW / double(frames - 1));
    double y = py0 + plotH * (1.0 - conf);
    points += llvm::formatv("{0:f1},{1:f1} ", x, y).str();
    os << llvm::formatv("<circle cx='{0:f1}' cy='{1:f1}' r='3' fill='#1f77b4'/>"
                        "<text x='{0:f1}' y='{2}' font-size='10' "
                        "text-anchor='middle'>{3:f2}</text>\n",
                        x, y, py0 + plotH + 12, conf);
  }
  os << "<polyline fill='none' stroke='#1f77b4' stroke-width='2' points='"
     << points << "'/>\n</svg>\n";
}
