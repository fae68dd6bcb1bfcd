// The deck.gl modules Shancheng Twin's pages use, and pydeck's createDeck/updateDeck
// (same names and arguments as @deck.gl/jupyter-widget's playground/create-deck.js, which
// pydeck's HTML calls), without the base-map libraries (mapbox-gl, maplibre-gl), the
// Jupyter widget, loaders and the layer packages the pages do not draw.
import {Deck, COORDINATE_SYSTEM, WebMercatorViewport, MapView, Layer, CompositeLayer, log} from '@deck.gl/core';
import * as layers from '@deck.gl/layers';
// TripsLayer alone: the package index would pull in every geo layer (h3, tiles, glTF).
import TripsLayer from '../node_modules/@deck.gl/geo-layers/dist/trips-layer/trips-layer.js';
import {JSONConverter} from '@deck.gl/json';

const classes = {MapView, ...layers, TripsLayer};
const jsonConverter = new JSONConverter({configuration: {classes, enumerations: {COORDINATE_SYSTEM}}});

const CANVAS_STYLE = {position: 'absolute', left: 0, top: 0, width: '100%', height: '100%'};

function updateDeck(inputJson, deckgl) {
  deckgl.setProps(jsonConverter.convert(inputJson));
}

function createDeck({container, jsonInput, tooltip, showError}) {
  const onError = e => {
    if (showError) {
      const pre = document.createElement('pre');
      pre.textContent = `Error: ${e.message}`;
      container.appendChild(pre);
    }
    console.error(e);  // eslint-disable-line no-console
  };
  try {
    const props = jsonConverter.convert(jsonInput);
    if (window.getComputedStyle(container).position === 'static') container.style.position = 'relative';
    const base = document.createElement('div');  // where pydeck puts a base map (none here)
    Object.assign(base.style, CANVAS_STYLE);
    container.appendChild(base);
    const canvas = document.createElement('canvas');
    Object.assign(canvas.style, CANVAS_STYLE);
    container.appendChild(canvas);
    return new Deck({onError, getTooltip: tooltip || null, ...props, canvas});
  } catch (err) {
    onError(err);
    return undefined;
  }
}

globalThis.deck = Object.assign(globalThis.deck || {}, layers, {
  Deck, COORDINATE_SYSTEM, WebMercatorViewport, MapView, Layer, CompositeLayer, log, TripsLayer, JSONConverter
});
globalThis.createDeck = createDeck;
globalThis.updateDeck = updateDeck;
