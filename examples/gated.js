// Stands for a marketing tag: runs only once "marketing" is granted, and writes its cookie.
document.cookie = 'demo_marketing=1; path=/; max-age=3600'
;(window.gatedRuns ??= []).push('external')
document.getElementById('ran').append(Object.assign(document.createElement('li'), { textContent: 'external marketing script' }))
